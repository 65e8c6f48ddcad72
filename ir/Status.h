//===- ir/Status.h - Recoverable errors without exceptions ------*- C++ -*-===//
//
// ir/ may not include LLVM, so it carries its own small error type in the
// spirit of llvm::Error/Expected: a Status is either ok or one message, and an
// Expected<T> is either a T or a failed Status. Messages are one line, meant to
// be printed to the user as they are.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cassert>
#include <sstream>
#include <string>
#include <utility>
#include <variant>

namespace nnc {

class [[nodiscard]] Status {
public:
  Status() = default;
  static Status success() { return Status(); }
  static Status failure(std::string Message) {
    Status S;
    S.Failed = true;
    S.Msg = oneLine(std::move(Message));
    return S;
  }

  /// A mistake in how a tool was called (a missing or malformed option),
  /// not in what it read: command-line tools exit with 2 for it.
  static Status usage(std::string Message) {
    Status S = failure(std::move(Message));
    S.Usage = true;
    return S;
  }

  bool ok() const { return !Failed; }
  bool isUsage() const { return Usage; }
  const std::string &message() const { return Msg; }
  /// Lets generic code treat Status and Expected<T> alike.
  const Status &status() const { return *this; }

  /// Returns a copy whose message is "Prefix: message".
  Status withPrefix(const std::string &Prefix) const {
    if (ok())
      return *this;
    Status S = *this;
    S.Msg = oneLine(Prefix) + ": " + Msg;
    return S;
  }

private:
  /// Messages quote names from the user's files, which may hold any byte:
  /// control characters are escaped, so a message stays one line.
  static std::string oneLine(std::string M) {
    static const char Hex[] = "0123456789abcdef";
    std::string Out;
    for (char C : M) {
      auto U = static_cast<unsigned char>(C);
      if (U >= 0x20 && U != 0x7f)
        Out += C;
      else if (C == '\n')
        Out += "\\n";
      else if (C == '\t')
        Out += "\\t";
      else if (C == '\r')
        Out += "\\r";
      else
        Out += {'\\', 'x', Hex[U >> 4], Hex[U & 15]};
    }
    return Out;
  }

  bool Failed = false, Usage = false;
  std::string Msg;
};

/// Builds a failed Status from streamable pieces: error("node '", N, "'").
template <typename... Ts> Status error(const Ts &...Parts) {
  std::ostringstream OS;
  (OS << ... << Parts);
  return Status::failure(OS.str());
}

/// error() for a mistake in how a tool was called (Status::usage).
template <typename... Ts> Status usageError(const Ts &...Parts) {
  std::ostringstream OS;
  (OS << ... << Parts);
  return Status::usage(OS.str());
}

template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T Value) : Storage(std::move(Value)) {}
  Expected(Status S) : Storage(std::move(S)) {
    assert(!std::get<Status>(Storage).ok() && "Expected built from success");
  }

  bool ok() const { return std::holds_alternative<T>(Storage); }
  Status status() const {
    return ok() ? Status::success() : std::get<Status>(Storage);
  }
  const std::string &message() const {
    return std::get<Status>(Storage).message();
  }

  T &value() & { return std::get<T>(Storage); }
  const T &value() const & { return std::get<T>(Storage); }
  T &&value() && { return std::get<T>(std::move(Storage)); }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

private:
  std::variant<T, Status> Storage;
};

} // namespace nnc

/// Returns early from the enclosing function if Expr is a failed Status.
#define NNC_TRY(Expr)                                                          \
  do {                                                                         \
    ::nnc::Status NncTryStatus_ = (Expr);                                      \
    if (!NncTryStatus_.ok())                                                   \
      return NncTryStatus_;                                                    \
  } while (false)
