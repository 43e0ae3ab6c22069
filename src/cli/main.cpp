// gpurand: demo (the main job), generate (streams for pipes and test
// batteries) and audit (duplicate / overlap detection on raw streams).

#include <iostream>
#include <string>
#include <vector>

#include "cli/audit_cmd.hpp"
#include "cli/commands.hpp"

namespace {

constexpr const char* usage =
    "usage: gpurand <command> [options]\n"
    "commands:\n"
    "  demo       draw per-thread streams over several launches and audit them\n"
    "             (--compare also runs broken seeding patterns side by side)\n"
    "  generate   write per-thread streams or a bulk fill (raw or text)\n"
    "  audit      check raw per-thread streams for duplicate and overlapping streams\n"
    "run 'gpurand <command> --help' for a command's options\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << usage;
    return 2;
  }
  const std::string cmd = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (cmd == "generate") return gpurand::cli::generate_main(args);
    if (cmd == "demo") return gpurand::cli::demo_main(args);
    if (cmd == "audit") return gpurand::cli::audit_main(args, std::cin, std::cout, std::cerr);
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      std::cout << usage;
      return 0;
    }
    std::cerr << "gpurand: error: unknown command '" << cmd << "'\n" << usage;
    return 2;
  } catch (const gpurand::Error& e) {
    std::cerr << "gpurand " << cmd << ": error: " << e.what() << "\n";
    return gpurand::cli::exit_code_for(e);
  } catch (const std::exception& e) {
    std::cerr << "gpurand " << cmd << ": error: " << e.what() << "\n";
    return 1;
  }
}
