package io.jetraft.config;

/** A size in bytes, as written in a config file ({@code 1KB}, {@code 64MB}) or given on the command line. */
public record ByteSize(long bytes) implements Comparable<ByteSize> {

    public ByteSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("a byte size cannot be negative: " + bytes);
        }
    }

    public static ByteSize ofBytes(long bytes) {
        return new ByteSize(bytes);
    }

    public static ByteSize ofKibibytes(long kib) {
        return new ByteSize(Math.multiplyExact(kib, 1024L));
    }

    public static ByteSize ofMebibytes(long mib) {
        return new ByteSize(Math.multiplyExact(mib, 1024L * 1024L));
    }

    public static ByteSize ofGibibytes(long gib) {
        return new ByteSize(Math.multiplyExact(gib, 1024L * 1024L * 1024L));
    }

    /** The size as an int, for APIs that take one; sizes above {@link Integer#MAX_VALUE} are capped. */
    public int toIntCapped() {
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    @Override
    public int compareTo(ByteSize other) {
        return Long.compare(bytes, other.bytes);
    }

    @Override
    public String toString() {
        return bytes + "B";
    }
}
