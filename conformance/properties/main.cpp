// conformance-properties: doctest runs one test case per law; RapidCheck runs
// each law's properties. Cases per property: 1,000, or 100,000 with
// SCOPEGATE_LONG=1; RC_PARAMS given by the caller wins key by key
// (conformance/README.md, "Properties").

#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <string_view>

int main(int argc, char** argv) {
  // RapidCheck reads RC_PARAMS when the first property runs, and a key given
  // twice takes its last value: our default goes first.
  const char* long_mode = std::getenv("SCOPEGATE_LONG");
  const bool is_long = long_mode != nullptr && *long_mode != '\0' && std::string_view(long_mode) != "0";
  std::string params = is_long ? "max_success=100000" : "max_success=1000";
  if (const char* given = std::getenv("RC_PARAMS")) params += std::string(" ") + given;
  setenv("RC_PARAMS", params.c_str(), 1);

  doctest::Context context(argc, argv);
  return context.run();
}
