"""The fixed numbers of the log's format (docs/FORMAT.md section 1): the body's version, the
hash before the first event, the salt's length, and the largest integer a body carries exactly."""

FORMAT_VERSION = 2
GENESIS_HASH = "0" * 64
SALT_BYTES = 32
# RFC 8785 writes numbers as ECMAScript does: integers beyond 2^53 would lose digits.
MAX_SAFE_INTEGER = 2**53 - 1
