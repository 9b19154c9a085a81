package io.escrow.merkle;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 9162 §2.1 tree functions over a {@link NodeSource}: subtree hashes (MTH), inclusion proofs
 * (PATH, §2.1.3) and consistency proofs (PROOF, §2.1.4), and their verification. Pure functions:
 * no I/O beyond the node source, no framework.
 */
public final class MerkleTree {
    private MerkleTree() {}

    /** The largest power of two strictly less than n (n ≥ 2). */
    static long split(long n) {
        return Long.highestOneBit(n - 1);
    }

    /** MTH(D[start:end]) for a range that is a node of the RFC 9162 tree (start aligned as the recursion aligns it). */
    public static byte[] subtreeHash(NodeSource nodes, long start, long end) {
        long n = end - start;
        if (n <= 0) {
            throw new IllegalArgumentException("empty range " + start + ".." + end);
        }
        if (Long.bitCount(n) == 1 && start % n == 0) {
            return nodes.perfect(Long.numberOfTrailingZeros(n), start / n);
        }
        long k = split(n);
        return MerkleHash.node(subtreeHash(nodes, start, start + k), subtreeHash(nodes, start + k, end));
    }

    /** The root of the tree of {@code size} leaves. */
    public static byte[] root(NodeSource nodes, long size) {
        if (size < 0) {
            throw new IllegalArgumentException("negative tree size");
        }
        return size == 0 ? MerkleHash.empty() : subtreeHash(nodes, 0, size);
    }

    /** PATH(index, D[0:size]): the audit path of leaf {@code index}, from the leaf upwards. */
    public static List<byte[]> inclusionProof(NodeSource nodes, long index, long size) {
        if (index < 0 || index >= size) {
            throw new IllegalArgumentException("leaf " + index + " is not in a tree of size " + size);
        }
        List<byte[]> proof = new ArrayList<>();
        path(nodes, index, 0, size, proof);
        return proof;
    }

    private static void path(NodeSource nodes, long m, long start, long end, List<byte[]> out) {
        long n = end - start;
        if (n == 1) {
            return;
        }
        long k = split(n);
        if (m < k) {
            path(nodes, m, start, start + k, out);
            out.add(subtreeHash(nodes, start + k, end));
        } else {
            path(nodes, m - k, start + k, end, out);
            out.add(subtreeHash(nodes, start, start + k));
        }
    }

    /** PROOF(first, D[0:second]): proves the tree of size {@code first} is a prefix of the one of size {@code second}. */
    public static List<byte[]> consistencyProof(NodeSource nodes, long first, long second) {
        if (first < 0 || first > second) {
            throw new IllegalArgumentException("no consistency proof from size " + first + " to " + second);
        }
        List<byte[]> proof = new ArrayList<>();
        if (first == 0 || first == second) {
            return proof;
        }
        subproof(nodes, first, 0, second, true, proof);
        return proof;
    }

    private static void subproof(NodeSource nodes, long m, long start, long end, boolean complete, List<byte[]> out) {
        long n = end - start;
        if (m == n) {
            if (!complete) {
                out.add(subtreeHash(nodes, start, end));
            }
            return;
        }
        long k = split(n);
        if (m <= k) {
            subproof(nodes, m, start, start + k, complete, out);
            out.add(subtreeHash(nodes, start + k, end));
        } else {
            subproof(nodes, m - k, start + k, end, false, out);
            out.add(subtreeHash(nodes, start, start + k));
        }
    }

    /** RFC 9162 §2.1.3.2: whether {@code proof} shows leaf {@code index} with hash {@code leafHash} under {@code root}. */
    public static boolean verifyInclusion(byte[] leafHash, long index, long size, List<byte[]> proof, byte[] root) {
        if (index < 0 || index >= size) {
            return false;
        }
        long fn = index;
        long sn = size - 1;
        byte[] r = leafHash;
        for (byte[] p : proof) {
            if (sn == 0) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = MerkleHash.node(p, r);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = MerkleHash.node(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(r, root);
    }

    /** RFC 9162 §2.1.4.2: whether {@code proof} shows the tree (first, firstRoot) is a prefix of (second, secondRoot). */
    public static boolean verifyConsistency(long first, long second, byte[] firstRoot, byte[] secondRoot, List<byte[]> proof) {
        if (first < 0 || first > second) {
            return false;
        }
        if (first == second) {
            return proof.isEmpty() && MessageDigest.isEqual(firstRoot, secondRoot);
        }
        if (first == 0) {
            return proof.isEmpty();
        }
        if (proof.isEmpty()) {
            return false;
        }
        List<byte[]> path = new ArrayList<>(proof);
        if (Long.bitCount(first) == 1) {
            path.add(0, firstRoot);
        }
        long fn = first - 1;
        long sn = second - 1;
        while ((fn & 1) == 1) {
            fn >>= 1;
            sn >>= 1;
        }
        byte[] fr = path.get(0);
        byte[] sr = path.get(0);
        for (int i = 1; i < path.size(); i++) {
            byte[] c = path.get(i);
            if (sn == 0) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                fr = MerkleHash.node(c, fr);
                sr = MerkleHash.node(c, sr);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                sr = MerkleHash.node(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(fr, firstRoot) && MessageDigest.isEqual(sr, secondRoot);
    }
}
