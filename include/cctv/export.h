// Symbol visibility for the shared library. Everything not marked CCTV_EXPORT
// stays inside libcctv, so internals can change without breaking users.
#ifndef CCTV_EXPORT_H_
#define CCTV_EXPORT_H_

#if defined(CCTV_SHARED_BUILD)
#define CCTV_EXPORT __attribute__((visibility("default")))
#else
#define CCTV_EXPORT
#endif

#endif  // CCTV_EXPORT_H_
