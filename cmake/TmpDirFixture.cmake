# mvinfer_tmpdir_fixture(PREFIX DIR FIXTURE): tests PREFIXTmpDirPrepare (empties DIR first) and
# PREFIXTmpDirLeftEmpty (fails naming whatever is left in DIR after the last test), tied to the
# CTest fixture FIXTURE so they run with any -R/-E selection. Tests that need it set TMPDIR to DIR
# and require FIXTURE.
function(mvinfer_tmpdir_fixture prefix dir fixture)
  add_test(NAME ${prefix}TmpDirPrepare COMMAND sh -c "rm -rf '${dir}' && mkdir -p '${dir}'")
  add_test(NAME ${prefix}TmpDirLeftEmpty
    COMMAND sh -c "left=$(ls -A '${dir}') && [ -z \"$left\" ] && echo 'nothing left in TMPDIR' || { echo \"left in TMPDIR by the tests:\" $left; exit 1; }")
  set_tests_properties(${prefix}TmpDirPrepare PROPERTIES FIXTURES_SETUP ${fixture})
  set_tests_properties(${prefix}TmpDirLeftEmpty PROPERTIES FIXTURES_CLEANUP ${fixture})
endfunction()
