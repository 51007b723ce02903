// `cairn`: command-line tools for checkpoints and arrays. Dispatches to the subcommands that the
// cmd_*.cc files register (see command.h).
#include <algorithm>
#include <cctype>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "args.h"
#include "command.h"

namespace cairn::cli {
namespace {

constexpr int kUsageExit = 2;

void print_overview(std::ostream& out) {
  out << "usage: cairn COMMAND [ARGS...]\n"
         "       cairn help COMMAND | cairn COMMAND --help\n"
         "       cairn --version\n\n"
         "commands:\n";
  size_t width = 0;
  for (const Command* command : registered_commands()) width = std::max(width, command->name.size());
  for (const Command* command : registered_commands())
    out << "  " << command->name << std::string(width - command->name.size() + 2, ' ') << command->summary
        << "\n";
}

ArgParser parser_for(const Command& command) { return ArgParser(command.options, command.positionals); }

void print_command_help(const Command& command) {
  ArgParser parser = parser_for(command);
  std::string sentence = command.summary;
  if (!sentence.empty()) sentence[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(sentence[0])));
  std::cout << "usage: cairn " << command.name << " " << parser.usage() << "\n\n" << sentence << ".\n\n";
  if (!command.description.empty()) std::cout << command.description << "\n\n";
  std::cout << "arguments:\n" << parser.describe();
}

int usage_error(std::string_view where, const std::string& message, const std::string& help_hint) {
  std::cerr << "cairn" << (where.empty() ? "" : " ") << where << ": " << message << "\n" << help_hint;
  return kUsageExit;
}

int run_command(const Command& command, const std::vector<std::string>& words) {
  ArgParser parser = parser_for(command);
  Args args;
  try {
    args = parser.parse(words);
  } catch (const UsageError& e) {
    return usage_error(command.name, e.what(),
                       "usage: cairn " + command.name + " " + parser.usage() + "\nRun 'cairn help " +
                           command.name + "' for details.\n");
  }
  if (args.help_requested()) {
    print_command_help(command);
    return 0;
  }
  try {
    int status = command.run(args);
    if (!std::cout.flush()) {
      print_error(command.name, "cannot write to standard output");
      return command.failure_exit_code;
    }
    return status;
  } catch (const UsageError& e) {
    return usage_error(command.name, e.what(), "Run 'cairn help " + command.name + "' for details.\n");
  } catch (const std::bad_alloc&) {
    // The library names the file when it runs out of memory loading one; this is any other allocation.
    print_error(command.name, "out of memory: the command needs more memory than the system gives it");
    return command.failure_exit_code;
  } catch (const std::exception& e) {
    print_error(command.name, e.what());
    return command.failure_exit_code;
  }
}

int run_help(const std::vector<std::string>& words) {
  if (words.empty()) {
    print_overview(std::cout);
    return 0;
  }
  if (words.size() > 1) return usage_error("help", "expected one COMMAND", "usage: cairn help COMMAND\n");
  const Command* command = find_command(words[0]);
  if (command == nullptr)
    return usage_error("help", "unknown command '" + words[0] + "'",
                       "Run 'cairn --help' for the list of commands.\n");
  print_command_help(*command);
  return 0;
}

int run_main(const std::vector<std::string>& words) {
  if (words.empty()) {
    print_overview(std::cerr);
    return kUsageExit;
  }
  const std::string& first = words[0];
  std::vector<std::string> rest(words.begin() + 1, words.end());
  if (first == "--help" || first == "-h" || first == "help") return run_help(rest);
  if (first == "--version") {
    if (!rest.empty()) return usage_error("", "--version takes no arguments", "usage: cairn --version\n");
    std::cout << "cairn " << CAIRN_VERSION << "\n";
    return 0;
  }
  if (first.starts_with("-"))
    return usage_error("", "unknown option '" + first + "'", "Run 'cairn --help' for usage.\n");
  const Command* command = find_command(first);
  if (command == nullptr)
    return usage_error("", "unknown command '" + first + "'", "Run 'cairn --help' for the list of commands.\n");
  return run_command(*command, rest);
}

}  // namespace
}  // namespace cairn::cli

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  int status = cairn::cli::run_main(words);
  // Help that could not be written (a full disk, a closed pipe) must not look like success; commands
  // check their own output in run_command.
  if (status == 0 && !std::cout.flush()) {
    std::cerr << "cairn: cannot write to standard output\n";
    return 1;
  }
  return status;
}
