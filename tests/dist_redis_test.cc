// RedisClient against a real redis-server started by the test.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "mvinfer/core/error.h"
#include "mvinfer/dist/redis.h"
#include "redis_server.h"

namespace mvinfer::testing {
namespace {

RedisOptions options_for(const std::string& address, double reconnect_s = 10) {
  RedisOptions o;
  o.address = parse_redis_address(address);
  o.reconnect_s = reconnect_s;
  return o;
}

TEST(DistRedis, ParsesAddresses) {
  EXPECT_EQ(parse_redis_address("10.0.0.5:7000").text(), "10.0.0.5:7000");
  EXPECT_EQ(parse_redis_address("redis://host").text(), "host:6379");
  EXPECT_EQ(parse_redis_address("redis://host:1").text(), "host:1");
  for (const char* bad : {"", ":80", "host:", "host:0", "host:70000", "host:12a"}) {
    try {
      parse_redis_address(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::bad_flag);
      EXPECT_EQ(e.option(), "redis");
      EXPECT_NE(std::string(e.what()).find("expected HOST:PORT"), std::string::npos) << e.what();
    }
  }
}

TEST(DistRedis, ParsesPasswordsAndNeverShowsThem) {
  const RedisAddress a = parse_redis_address("redis://:s3cret@db:6380");
  EXPECT_EQ(a.password, "s3cret");
  EXPECT_EQ(a.user, "");
  EXPECT_EQ(a.text(), "db:6380");
  const RedisAddress b = parse_redis_address("redis://alice:pw@db");
  EXPECT_EQ(b.user, "alice");
  EXPECT_EQ(b.password, "pw");
  try {
    parse_redis_address("redis://:s3cret@db:x");
    FAIL() << "a bad port was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << e.what();
  }
}

TEST(DistRedis, AuthenticatesWithThePasswordGiven) {
  SKIP_WITHOUT_REDIS();
  RedisServer server(false, "pw123");
  RedisOptions o = options_for("redis://:pw123@" + server.address());
  RedisClient c(o);
  EXPECT_EQ(c.command({"PING"}).str, "PONG");
  try {
    RedisClient wrong(options_for("redis://:nope@" + server.address()));
    FAIL() << "a wrong password was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_flag);
    EXPECT_NE(std::string(e.what()).find("authentication refused"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
}

TEST(DistRedis, BinarySafeRoundTripAndMoves) {
  SKIP_WITHOUT_REDIS();
  RedisServer server;
  RedisClient a(options_for(server.address()));
  const std::string value("line 1\r\n\0zero\nline 2\n", 21);
  EXPECT_EQ(a.command({"SET", std::string("k\0ey", 4), value}).str, "OK");
  RedisClient b = std::move(a);  // the connection moves; nothing is closed twice
  EXPECT_EQ(b.command({"GET", std::string("k\0ey", 4)}).str, value);
  EXPECT_TRUE(b.command({"GET", "missing"}).is_nil());
  EXPECT_EQ(b.command({"INCRBY", "n", "41"}).as_int(), 41);
  const RedisReply r = b.eval("return {KEYS[1], ARGV[1]}", {"x"}, {"y"});
  ASSERT_EQ(r.elements.size(), 2u);
  EXPECT_EQ(r.elements[1].str, "y");
}

TEST(DistRedis, ErrorRepliesNameTheCommand) {
  SKIP_WITHOUT_REDIS();
  RedisServer server;
  RedisClient c(options_for(server.address()));
  c.command({"SET", "s", "text"});
  EXPECT_EQ(c.command({"INCR", "s"}, true).type, RedisReply::Type::error);
  try {
    c.command({"INCR", "s"});
    FAIL() << "an error reply was not thrown";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("INCR"), std::string::npos) << e.what();
  }
}

TEST(DistRedis, UnreachableIsOneLineIoError) {
  const int port = free_port();
  RedisOptions o = options_for("127.0.0.1:" + std::to_string(port));
  const auto t0 = std::chrono::steady_clock::now();
  try {
    RedisClient c(o);
    FAIL() << "connected to a closed port";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::io);
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos);
    EXPECT_NE(m.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << m;
    EXPECT_NE(m.find("cannot connect after 3 tries"), std::string::npos) << m;
  }
  // Three tries with 50 and 100 ms between them: a wrong address is said at once.
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0);
}

TEST(DistRedis, ReconnectsWhenTheServerRestarts) {
  SKIP_WITHOUT_REDIS();
  RedisServer server(true);
  RedisClient c(options_for(server.address()));
  c.command({"SET", "kept", "1"});
  server.stop();
  // A jthread: joined also when the command below throws, so the test fails instead of aborting.
  std::jthread restart([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    server.start();
  });
  // Sent while the server is down: retried with back-off until it is back, then answered from
  // its append-only file.
  const RedisReply r = c.command({"GET", "kept"});
  restart.join();
  EXPECT_EQ(r.str, "1");
  EXPECT_GE(c.reconnects(), 1);
}

TEST(DistRedis, GivesUpAfterTheReconnectWindow) {
  SKIP_WITHOUT_REDIS();
  RedisServer server;
  RedisClient c(options_for(server.address(), 0.5));
  server.stop();
  try {
    c.command({"PING"});
    FAIL() << "answered by a stopped server";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::io);
    EXPECT_NE(std::string(e.what()).find("connection lost"), std::string::npos) << e.what();
  }
}

// The slots Redis's own documentation and CLUSTER KEYSLOT give.
TEST(DistRedisCluster, KeySlotsAreThoseOfClusterKeyslot) {
  EXPECT_EQ(redis_key_slot("foo"), 12182);
  EXPECT_EQ(redis_key_slot("bar"), 5061);
  EXPECT_EQ(redis_key_slot("123456789"), 0x31C3 % 16384);  // CRC16/XMODEM's check value
  EXPECT_EQ(redis_key_slot("{user1000}.following"), redis_key_slot("{user1000}.followers"));
  EXPECT_EQ(redis_key_slot("{user1000}.following"), redis_key_slot("user1000"));
  EXPECT_NE(redis_key_slot("foo{}{bar}"), redis_key_slot("bar"));  // an empty tag: the whole key
  EXPECT_EQ(redis_key_slot("foo{{bar}}zap"), redis_key_slot("{bar"));
  EXPECT_EQ(redis_key_slot("foo{bar}{zap}"), redis_key_slot("bar"));
  EXPECT_EQ(redis_key_slot("mvinfer:{cam-7}:job"), redis_key_slot("mvinfer:{cam-7}:live"));
}

TEST(DistRedisCluster, TheKeyOfACommand) {
  using V = std::vector<std::string>;
  EXPECT_EQ(redis_command_key(V{"HGET", "k", "f"}), "k");
  EXPECT_EQ(redis_command_key(V{"EVAL", "return 1", "2", "a", "b", "x"}), "a");
  EXPECT_EQ(redis_command_key(V{"EVAL", "return 1", "0", "x"}), std::nullopt);
  EXPECT_EQ(redis_command_key(V{"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "BLOCK", "5",
                                "STREAMS", "s", ">"}),
            "s");
  EXPECT_EQ(redis_command_key(V{"xgroup", "CREATE", "s", "g", "0"}), "s");
  EXPECT_EQ(redis_command_key(V{"XINFO", "STREAM", "s"}), "s");
  EXPECT_EQ(redis_command_key(V{"SCAN", "0", "MATCH", "x"}), std::nullopt);
  EXPECT_EQ(redis_command_key(V{"CLUSTER", "NODES"}), std::nullopt);
  EXPECT_EQ(redis_command_key(V{"PING"}), std::nullopt);
  EXPECT_EQ(redis_command_key(V{}), std::nullopt);
}

TEST(DistRedisCluster, ParsesRedirections) {
  const std::optional<RedisRedirect> moved = parse_redis_redirect("MOVED 3999 127.0.0.1:6381");
  ASSERT_TRUE(moved);
  EXPECT_FALSE(moved->ask);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->host, "127.0.0.1");
  EXPECT_EQ(moved->port, 6381);
  const std::optional<RedisRedirect> ask = parse_redis_redirect("ASK 16383 ::1:7000");
  ASSERT_TRUE(ask);
  EXPECT_TRUE(ask->ask);
  EXPECT_EQ(ask->slot, 16383);
  EXPECT_EQ(ask->host, "::1");
  const std::optional<RedisRedirect> no_host = parse_redis_redirect("MOVED 1 :7001");
  ASSERT_TRUE(no_host);
  EXPECT_EQ(no_host->host, "");
  EXPECT_EQ(no_host->port, 7001);
  for (const char* not_one :
       {"ERR wrong", "MOVED", "MOVED 3999", "MOVED x 1.2.3.4:1", "MOVED 16384 h:1", "MOVED 1 h:0",
        "MOVED 1 h:x", "MOVED 1 h", "MOVEDX 1 h:1"})
    EXPECT_FALSE(parse_redis_redirect(not_one)) << not_one;
}

TEST(DistRedisCluster, FollowsMovedRemembersTheSlotAndListsTheMasters) {
  SKIP_WITHOUT_REDIS();
  RedisCluster cluster(3);
  RedisClient c(options_for(cluster.node(0).address()));
  // Our slot of a key is the server's.
  for (const std::string key : {"a", "mvinfer:{cam-7}:job", "x{}y", "{{z}}", "job-9"})
    EXPECT_EQ(redis_key_slot(key), c.command({"CLUSTER", "KEYSLOT", key}).as_int()) << key;
  // One key per node, written and read through node 0.
  std::vector<std::string> keys(3);
  for (int k = 0; std::count(keys.begin(), keys.end(), "") > 0; ++k) {
    const std::string key = fmt::format("mvinfer:{{job-{}}}:job", k);
    std::string& slot_of_node = keys[cluster.owner_of_key(key)];
    if (slot_of_node.empty()) slot_of_node = key;
  }
  for (size_t n = 0; n < 3; ++n) {
    const int before = c.redirects();
    const std::string value = fmt::format("v{}", n);
    EXPECT_EQ(c.command({"SET", keys[n], value}).str, "OK");
    EXPECT_EQ(c.redirects() - before, n == 0 ? 0 : 1) << "node " << n;
    EXPECT_EQ(c.command({"GET", keys[n]}).str, value);
    EXPECT_EQ(c.eval("return redis.call('GET', KEYS[1])", {keys[n]}, {}).str, value);
    EXPECT_EQ(c.redirects() - before, n == 0 ? 0 : 1) << "the slot was remembered: node " << n;
    // Written where the cluster says: the owner has it without a redirection.
    RedisClient owner(options_for(cluster.node(n).address()));
    EXPECT_EQ(owner.command({"GET", keys[n]}).str, value);
    EXPECT_EQ(owner.redirects(), 0);
  }
  // A slot being migrated answers ASK: followed once, not remembered.
  const int slot2 = redis_key_slot(keys[2]);
  RedisClient n2(options_for(cluster.node(2).address()));
  RedisClient n1(options_for(cluster.node(1).address()));
  const std::string id2 = n2.command({"CLUSTER", "MYID"}).str;
  const std::string id1 = n1.command({"CLUSTER", "MYID"}).str;
  n1.command({"CLUSTER", "SETSLOT", std::to_string(slot2), "IMPORTING", id2});
  n2.command({"CLUSTER", "SETSLOT", std::to_string(slot2), "MIGRATING", id1});
  const std::string fresh = fmt::format("{}:new", keys[2]);  // same hash tag: same slot, absent
  ASSERT_EQ(redis_key_slot(fresh), slot2);
  const int before = c.redirects();
  EXPECT_EQ(c.command({"SET", fresh, "moving"}).str, "OK");  // MOVED was remembered, then ASK
  EXPECT_EQ(c.redirects() - before, 1);
  EXPECT_EQ(n1.command({"ASKING"}).str, "OK");
  EXPECT_EQ(n1.command({"GET", fresh}).str, "moving");  // written on the importing node
  EXPECT_EQ(c.command({"GET", keys[2]}).str, "v2");     // still on node 2, no redirection
  EXPECT_EQ(c.redirects() - before, 1);
  // The masters, for the commands without a key (SCAN); a plain server is its own.
  std::vector<int> ports;
  for (const RedisAddress& m : c.masters()) ports.push_back(m.port);
  std::sort(ports.begin(), ports.end());
  std::vector<int> want{cluster.node(0).port(), cluster.node(1).port(), cluster.node(2).port()};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(ports, want);
  RedisServer plain;
  RedisClient p(options_for(plain.address()));
  ASSERT_EQ(p.masters().size(), 1u);
  EXPECT_EQ(p.masters()[0].port, plain.port());
}

}  // namespace
}  // namespace mvinfer::testing
