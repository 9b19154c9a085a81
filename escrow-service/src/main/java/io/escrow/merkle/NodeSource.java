package io.escrow.merkle;

/**
 * Hashes of perfect subtrees: {@code perfect(level, index)} covers leaves
 * [index·2^level, (index+1)·2^level), all of which exist. Level 0 holds the leaf hashes. Every
 * RFC 9162 subtree hash, root and proof is composed from these.
 */
@FunctionalInterface
public interface NodeSource {
    byte[] perfect(int level, long index);
}
