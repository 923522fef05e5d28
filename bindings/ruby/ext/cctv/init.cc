// The entry point Ruby calls on `require "cctv/cctv_ext"`.
#include "cctv_ruby.h"
#include "values.h"

namespace cctv::ruby {
VALUE mCctv;
}  // namespace cctv::ruby

extern "C" __attribute__((visibility("default"))) void Init_cctv_ext() {
  using namespace cctv::ruby;
  mCctv = rb_define_module("Cctv");
  rb_gc_register_mark_object(mCctv);  // kept in a static: pinned
  define_errors();
  define_structs();
  define_client();
  define_tracker();
}
