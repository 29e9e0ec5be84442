// A value that is built once and never destroyed: for state that threads
// may still use while the process exits (libmilter's workers, once their
// thread is given up on), where running the destructor at exit would pull
// it from under them. The operating system takes the memory back.
#pragma once

#include <utility>

namespace clearbounce::milter {

template <typename T>
class NeverDestroyed {
 public:
  template <typename... Args>
  explicit NeverDestroyed(Args&&... args) : value_(std::forward<Args>(args)...) {}
  // Deliberately empty: value_ is a union member, whose destructor only
  // runs when called by name, which nothing does.
  ~NeverDestroyed() {}
  NeverDestroyed(const NeverDestroyed&) = delete;
  NeverDestroyed& operator=(const NeverDestroyed&) = delete;

  T& get() { return value_; }

 private:
  union {
    T value_;
  };
};

}  // namespace clearbounce::milter
