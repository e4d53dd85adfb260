// A main for builds without libFuzzer (g++): runs a fuzz target once on every
// file named on the command line, or found directly in a directory named there,
// so that the corpora run as ordinary ctest tests and the targets never rot.
// A broken invariant aborts inside the target; this main only reports input
// errors and refuses to pass when it ran nothing.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

bool read_file(const fs::path& path, std::vector<std::uint8_t>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    fs::path arg = argv[i];
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      for (const auto& entry : fs::directory_iterator(arg, ec))
        if (entry.is_regular_file()) inputs.push_back(entry.path());
    } else {
      inputs.push_back(arg);
    }
    if (ec) {
      std::cerr << argv[0] << ": cannot read " << arg << ": " << ec.message() << '\n';
      return 2;
    }
  }
  // Sorted, so that a failure names the same first input on every machine.
  std::sort(inputs.begin(), inputs.end());
  if (inputs.empty()) {
    std::cerr << argv[0] << ": no inputs; usage: " << argv[0] << " FILE_OR_DIR...\n";
    return 2;
  }
  std::vector<std::uint8_t> bytes;
  for (const auto& path : inputs) {
    if (!read_file(path, bytes)) {
      std::cerr << argv[0] << ": cannot read " << path << '\n';
      return 2;
    }
    // On an abort the last line names the input that broke an invariant.
    std::cerr << "replaying " << path.filename().string() << '\n';
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  std::cout << argv[0] << ": " << inputs.size() << " inputs replayed\n";
  return 0;
}
