//===- tools/Args.h - Command-line options of nnc subcommands ---*- C++ -*-===//
#pragma once

#include "ir/Status.h"

#include <map>
#include <string>
#include <vector>

namespace nnc::tools {

struct OptionSpec {
  std::string Name;      // "--output-dir"
  std::string ValueName; // "DIR"; empty for a flag
  std::string Help;
  bool Repeated = false;
};

struct CommandSpec {
  std::string Name;    // "run"
  std::string Usage;   // "MODEL --input NAME=FILE ... --output-dir DIR"
  std::string Summary; // one line
  std::vector<OptionSpec> Options;
  int MinPositional = 0, MaxPositional = 0;
};

class Args {
public:
  /// Parses argv after the subcommand name. "--help" anywhere sets help().
  static Expected<Args> parse(const CommandSpec &Spec,
                              const std::vector<std::string> &Argv);

  bool help() const { return Help; }
  const std::vector<std::string> &positional() const { return Positional; }
  bool has(const std::string &Name) const { return Values.count(Name) != 0; }
  /// The last value of an option, or Default.
  std::string get(const std::string &Name,
                  const std::string &Default = "") const;
  std::vector<std::string> getAll(const std::string &Name) const;
  /// An integer option, failing with a message naming it.
  Expected<int64_t> getInt(const std::string &Name, int64_t Default) const;

private:
  bool Help = false;
  std::vector<std::string> Positional;
  std::map<std::string, std::vector<std::string>> Values;
};

std::string helpText(const CommandSpec &Spec);

/// "a,b,,c" -> {"a", "b", "c"}: list-valued options (--entry, --batch).
std::vector<std::string> splitList(const std::string &S);

} // namespace nnc::tools
