// RedisClient against a real redis-server started by the test.
#include <gtest/gtest.h>

#include <chrono>
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

}  // namespace
}  // namespace mvinfer::testing
