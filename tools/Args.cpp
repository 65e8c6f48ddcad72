#include "tools/Args.h"

#include <charconv>
#include <sstream>

namespace nnc::tools {

Expected<Args> Args::parse(const CommandSpec &Spec,
                           const std::vector<std::string> &Argv) {
  Args A;
  for (size_t I = 0; I < Argv.size(); ++I) {
    const std::string &Arg = Argv[I];
    if (Arg == "--help" || Arg == "-h") {
      A.Help = true;
      return A;
    }
    std::string Name = Arg, Value;
    bool HasValue = false;
    if (size_t Eq = Arg.find('='); Eq != std::string::npos && Arg[0] == '-') {
      Name = Arg.substr(0, Eq);
      Value = Arg.substr(Eq + 1);
      HasValue = true;
    }
    const OptionSpec *Opt = nullptr;
    for (const OptionSpec &O : Spec.Options)
      if (O.Name == Name)
        Opt = &O;
    // Declared options may be spelled "-o"; anything else with a leading
    // "--" is a mistake; a lone "-" or "-1" is an argument.
    if (!Opt && (Name.size() < 3 || Name.compare(0, 2, "--") != 0)) {
      A.Positional.push_back(Arg);
      continue;
    }
    if (!Opt)
      return error("nnc ", Spec.Name, ": unknown option '", Name,
                   "' (see 'nnc ", Spec.Name, " --help')");
    if (Opt->ValueName.empty()) {
      if (HasValue)
        return error("nnc ", Spec.Name, ": option '", Name, "' takes no value");
    } else if (!HasValue) {
      if (I + 1 >= Argv.size())
        return error("nnc ", Spec.Name, ": option '", Name, "' needs a ",
                     Opt->ValueName);
      Value = Argv[++I];
    }
    auto &Slot = A.Values[Name];
    if (!Slot.empty() && !Opt->Repeated)
      return error("nnc ", Spec.Name, ": option '", Name,
                   "' is given more than once");
    Slot.push_back(Value);
  }
  int N = int(A.Positional.size());
  if (N < Spec.MinPositional || N > Spec.MaxPositional)
    return error("nnc ", Spec.Name, ": expected ",
                 Spec.MinPositional == Spec.MaxPositional
                     ? std::to_string(Spec.MinPositional)
                     : std::to_string(Spec.MinPositional) + " to " +
                           std::to_string(Spec.MaxPositional),
                 " arguments, found ", N, " (usage: nnc ", Spec.Name, " ",
                 Spec.Usage, ")");
  return A;
}

std::string Args::get(const std::string &Name,
                      const std::string &Default) const {
  auto It = Values.find(Name);
  return It == Values.end() ? Default : It->second.back();
}

std::vector<std::string> Args::getAll(const std::string &Name) const {
  auto It = Values.find(Name);
  return It == Values.end() ? std::vector<std::string>() : It->second;
}

Expected<int64_t> Args::getInt(const std::string &Name, int64_t Default) const {
  if (!has(Name))
    return Default;
  std::string S = get(Name);
  int64_t V = 0;
  auto [End, Err] = std::from_chars(S.data(), S.data() + S.size(), V);
  if (Err == std::errc() && End == S.data() + S.size())
    return V;
  return usageError("option '", Name, "' needs an integer, found '", S, "'");
}

std::string helpText(const CommandSpec &Spec) {
  std::ostringstream OS;
  OS << "usage: nnc " << Spec.Name << " " << Spec.Usage << "\n\n"
     << Spec.Summary << "\n";
  if (!Spec.Options.empty())
    OS << "\noptions:\n";
  for (const OptionSpec &O : Spec.Options) {
    std::string Left = O.Name + (O.ValueName.empty() ? "" : " " + O.ValueName);
    OS << "  " << Left;
    for (size_t I = Left.size(); I < 26; ++I)
      OS << ' ';
    OS << " " << O.Help << (O.Repeated ? " (repeatable)" : "") << "\n";
  }
  OS << "  --help                     show this text\n";
  return OS.str();
}

std::vector<std::string> splitList(const std::string &S) {
  std::vector<std::string> Out;
  std::stringstream In(S);
  for (std::string Item; std::getline(In, Item, ',');)
    if (!Item.empty())
      Out.push_back(Item);
  return Out;
}

} // namespace nnc::tools
