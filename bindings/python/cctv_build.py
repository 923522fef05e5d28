"""The package's build backend (PEP 517), so that `pip install
./bindings/python` needs nothing from the network: CMake builds the native
module (CMakeLists.txt, against an installed libcctv, which CMake finds in
/usr/local or through CMAKE_PREFIX_PATH), and this writes the wheel."""

import base64
import io
import hashlib
import os
import subprocess
import sys
import stat
import sysconfig
import tarfile
import tempfile
import zipfile

NAME = "cctv"
VERSION = "0.2.0"
HERE = os.path.dirname(os.path.abspath(__file__))


def get_requires_for_build_wheel(config_settings=None):
    return []


def _tag():
    # The module is built for this interpreter alone: its implementation,
    # version and ABI flags (a debug or free-threaded build has its own).
    if sys.implementation.name != "cpython":
        raise RuntimeError(f"cctv's Python module is built for CPython, not {sys.implementation.name}")
    interpreter = f"cp{sys.version_info.major}{sys.version_info.minor}"
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{interpreter}-{interpreter}{sys.abiflags}-{platform}"


def _metadata():
    with open(os.path.join(HERE, "README.md"), encoding="utf-8") as readme:
        description = readme.read()
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"
            "Summary: Activity tracker: who did what to which thing, when -- in-process, on cctv's engine\n"
            "Requires-Python: >=3.9\nDescription-Content-Type: text/markdown\n\n" + description)


def _build_native(build_dir):
    configure = ["cmake", "-S", HERE, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                 f"-DPython_EXECUTABLE={sys.executable}"]
    for command in (configure, ["cmake", "--build", build_dir, "-j", str(os.cpu_count() or 2)]):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            raise RuntimeError(
                "building cctv's Python module failed (above). It needs libcctv installed "
                "(`make install` in cctv's repository, or CMAKE_PREFIX_PATH naming its prefix), "
                "cmake, a C++20 compiler, pybind11 and the Python headers (Debian: pybind11-dev "
                "python3-dev).")
    package = os.path.join(build_dir, "cctv")
    return {f"cctv/{name}": os.path.join(package, name) for name in sorted(os.listdir(package))
            if name == "__init__.py" or name.endswith(".so")}


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    wheel_name = f"{NAME}-{VERSION}-{_tag()}.whl"
    dist_info = f"{NAME}-{VERSION}.dist-info"
    with tempfile.TemporaryDirectory(prefix="cctv-python-") as build_dir:
        files = {path: open(source, "rb").read() for path, source in _build_native(build_dir).items()}
    files[f"{dist_info}/METADATA"] = _metadata().encode()
    files[f"{dist_info}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: cctv_build\nRoot-Is-Purelib: false\n"
                                   f"Tag: {_tag()}\n").encode()
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | (0o755 if path.endswith(".so") else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, data)
    return wheel_name


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_sdist(sdist_directory, config_settings=None):
    """The package's sources as they are here: what `pip install` of the
    archive builds as it builds this directory."""
    base = f"{NAME}-{VERSION}"
    name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as archive:
        for entry in ("pyproject.toml", "cctv_build.py", "CMakeLists.txt", "README.md", "cctv", "src"):
            archive.add(os.path.join(HERE, entry), arcname=f"{base}/{entry}",
                        filter=lambda info: None if "__pycache__" in info.name else info)
        pkg_info = _metadata().encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(pkg_info)
        archive.addfile(info, io.BytesIO(pkg_info))
    return name
