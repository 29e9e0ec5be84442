// Whether this build runs under AddressSanitizer, which brings its own
// allocator and checks for leaks when the program exits normally.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define CLEARBOUNCE_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CLEARBOUNCE_ADDRESS_SANITIZER 1
#endif
#endif
#if !defined(CLEARBOUNCE_ADDRESS_SANITIZER)
#define CLEARBOUNCE_ADDRESS_SANITIZER 0
#endif
