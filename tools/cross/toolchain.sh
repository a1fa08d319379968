# The Debian toolchain the cross tools use, in one place: sourced by
# tools/cross/* and .ci/run, and read by
# tools/check-binaries and tests/book.rs. Either value can be overridden
# from the environment, e.g. WORKBOOK_LLVM=17 for Debian's llvm-17 and lld-17.
#
# The LLVM major version: the packages lld-N and llvm-N, whose tools are
# named ld.lld-N, ld64.lld-N, llvm-objdump-N...
WORKBOOK_LLVM=${WORKBOOK_LLVM:-16}
# Where Debian's rustc-web and cargo-web put rustc and cargo (behind
# rustup's on PATH, hence a folder and not a name).
WORKBOOK_DEBIAN_BIN=${WORKBOOK_DEBIAN_BIN:-/usr/bin}
