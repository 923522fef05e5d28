# Builds the native part of the gem against libcctv.
#
# libcctv is found where `make install` put it (/usr/local), or where
# --with-cctv-dir=PREFIX (or --with-cctv-include=DIR --with-cctv-lib=DIR)
# says: `gem install cctv -- --with-cctv-dir=/opt/cctv`. The extension
# remembers that directory (an rpath), so nothing else needs setting.
require "mkmf"

include_dir, lib_dir = dir_config("cctv", "/usr/local/include", "/usr/local/lib")

# The bindings are C++20, as cctv's headers are.
$CXXFLAGS << " -std=c++20 -Wall -Wextra -Wno-unused-parameter"
# Ruby's headers were written for C; keep their warnings out of ours.
$CXXFLAGS << " -Wno-missing-field-initializers -Wno-register"

abort_with = lambda do |what|
  abort <<~MSG
    cannot build cctv's Ruby extension: #{what}.
    Build and install cctv first (`make install` in its repository), or point at
    an install with: gem install cctv -- --with-cctv-dir=PREFIX
  MSG
end

have_header("ruby/thread.h") || abort_with.call("Ruby's headers (ruby-dev) are missing")
# Looked for by hand: mkmf's find_header compiles C, and cctv's headers are
# C++.
include_dirs = [include_dir, "/usr/local/include"].compact.flat_map { |d| d.split(File::PATH_SEPARATOR) }
headers = include_dirs.find { |d| File.exist?(File.join(d, "cctv", "cctv.h")) }
headers || abort_with.call("cctv/cctv.h was not found in #{include_dirs.join(', ')}")
$INCFLAGS << " -I#{headers}"
lib_dirs = [lib_dir, "/usr/local/lib"].compact.flat_map { |d| d.split(File::PATH_SEPARATOR) }
found = lib_dirs.find { |d| File.exist?(File.join(d, "libcctv.so")) }
found || abort_with.call("libcctv.so was not found in #{lib_dirs.join(', ')}")
$LDFLAGS << " -L#{found} -Wl,-rpath,#{found}"
$libs << " -lcctv"

create_makefile("cctv/cctv_ext")
