// parse_only: each command's argument check on its own, for tests and the
// CLI fuzz target.

#include "cli/commands.hpp"

#include <ostream>

namespace gpurand::cli {

int parse_only(command cmd, const std::vector<std::string>& args, std::ostream& out,
               std::ostream& err) {
  try {
    switch (cmd) {
      case command::generate: detail::check_generate_args(args, out); break;
      case command::audit: detail::check_audit_args(args, out); break;
      case command::demo: detail::check_demo_args(args, out); break;
    }
    return 0;
  } catch (const Error& e) {
    err << "error: " << e.what() << "\n";
    return exit_code_for(e);
  }
}

}  // namespace gpurand::cli
