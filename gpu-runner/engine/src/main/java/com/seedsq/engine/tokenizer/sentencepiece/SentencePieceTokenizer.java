package com.seedsq.engine.tokenizer.sentencepiece;

import com.seedsq.engine.tokenizer.Tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.PriorityQueue;

/**
 * llama2.c's {@code encode}/{@code decode}, reproduced exactly, for sentencepiece BPE vocabularies exported to the
 * llama2.c format (the LLaMA tokenizer, tok512.bin, ...):
 * <ol>
 *   <li>BOS (1) if asked; then, for non-empty text, the "dummy prefix": the piece for a single space;</li>
 *   <li>each UTF-8 character as its own piece, or when the vocabulary lacks it, one byte-fallback token per byte
 *       ({@code <0xXX>} = id byte + 3);</li>
 *   <li>repeatedly merge the adjacent pair whose concatenation is a piece with the highest score (leftmost on ties);
 *   <li>EOS (2) is never added here (llama2.c's callers do not).</li>
 * </ol>
 * llama2.c rescans all pairs after each merge, which is quadratic; this class keeps candidate pairs in a priority
 * queue ordered by (score desc, position asc) over a linked list, which picks the same pair at every step, so that
 * a whole 1.3 MB corpus encodes in well under a second.
 */
public final class SentencePieceTokenizer implements Tokenizer {

    public static final int BOS = 1;
    public static final int EOS = 2;
    private static final int BYTE_FALLBACK_OFFSET = 3;

    private final SentencePieceVocab vocab;
    private final int spaceId;
    /** For byte-fallback pieces {@code <0xXX>}: the byte (0..255); -1 for ordinary pieces. */
    private final int[] byteOf;
    private final java.util.concurrent.ConcurrentHashMap<Long, Integer> merges =
            new java.util.concurrent.ConcurrentHashMap<>();

    public SentencePieceTokenizer(SentencePieceVocab vocab) {
        this.vocab = vocab;
        this.spaceId = vocab.id(" ");
        this.byteOf = new int[vocab.size()];
        for (int i = 0; i < byteOf.length; i++) {
            byteOf[i] = parseBytePiece(vocab.piece(i));
        }
    }

    public static SentencePieceTokenizer load(Path file) {
        return new SentencePieceTokenizer(SentencePieceVocab.load(file));
    }

    public SentencePieceVocab vocab() {
        return vocab;
    }

    private static int parseBytePiece(String p) {
        if (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) {
            try {
                return Integer.parseInt(p.substring(3, 5), 16);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    /** A token in the merge list; {@code start} (its first character's index) orders nodes left to right. */
    private static final class Node {
        int id;
        final int start;
        Node prev, next;
        int version;
        boolean alive = true;

        Node(int id, int start) {
            this.id = id;
            this.start = start;
        }
    }

    private record Candidate(Node left, Node right, int leftVersion, int rightVersion, int mergedId, float score) {
        boolean stillValid() {
            return left.alive && right.alive && left.next == right
                    && left.version == leftVersion && right.version == rightVersion;
        }
    }

    @Override
    public int[] encode(String text, boolean addBos) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        // 1. initial tokens: BOS, dummy prefix, then one per character (or per byte, when byte fallback applies)
        Node head = null, tail = null;
        int count = 0;
        int[] initial = new int[bytes.length + 2]; // at most one token per byte, plus BOS and the prefix
        if (addBos) {
            initial[count++] = BOS;
        }
        if (bytes.length > 0 && spaceId >= 0) {
            initial[count++] = spaceId;
        }
        int i = 0;
        while (i < bytes.length) {
            // A UTF-8 character: a lead byte plus up to 3 continuation bytes (llama2.c caps the buffer at 4).
            int end = i + 1;
            while (end < bytes.length && (bytes[end] & 0xC0) == 0x80 && end - i < 4) {
                end++;
            }
            int id = vocab.id(new String(bytes, i, end - i, StandardCharsets.ISO_8859_1));
            if (id >= 0) {
                initial[count++] = id;
            } else {
                for (int j = i; j < end; j++) {
                    initial[count++] = (bytes[j] & 0xff) + BYTE_FALLBACK_OFFSET;
                }
            }
            i = end;
        }
        // 2. link them, and queue every mergeable adjacent pair
        PriorityQueue<Candidate> queue = new PriorityQueue<>((a, b) -> a.score != b.score
                ? Float.compare(b.score, a.score) : Integer.compare(a.left.start, b.left.start));
        for (int k = 0; k < count; k++) {
            Node n = new Node(initial[k], k);
            if (head == null) {
                head = n;
            } else {
                tail.next = n;
                n.prev = tail;
                offer(queue, tail, n);
            }
            tail = n;
        }
        // 3. merge best pairs until none is left
        int remaining = count;
        Candidate c;
        while ((c = queue.poll()) != null) {
            if (!c.stillValid()) {
                continue;
            }
            Node left = c.left, right = c.right;
            left.id = c.mergedId;
            left.version++;
            right.alive = false;
            left.next = right.next;
            if (right.next != null) {
                right.next.prev = left;
            }
            remaining--;
            if (left.prev != null) {
                offer(queue, left.prev, left);
            }
            if (left.next != null) {
                offer(queue, left, left.next);
            }
        }
        int[] out = new int[remaining];
        int k = 0;
        for (Node n = head; n != null; n = n.next) {
            out[k++] = n.id;
        }
        return out;
    }

    private void offer(PriorityQueue<Candidate> queue, Node left, Node right) {
        int merged = mergeOf(left.id, right.id);
        if (merged >= 0) {
            queue.add(new Candidate(left, right, left.version, right.version, merged, vocab.score(merged)));
        }
    }

    /** The piece id of two pieces concatenated, or -1; memoised, as a corpus asks for the same pairs many times. */
    private int mergeOf(int left, int right) {
        return merges.computeIfAbsent(((long) left << 32) | right,
                key -> vocab.id(vocab.piece(left) + vocab.piece(right)));
    }

    /**
     * The bytes token {@code token} stands for: byte-fallback pieces become their byte, and after BOS the leading
     * space (the dummy prefix) is dropped, as llama2.c's {@code decode} does.
     */
    public byte[] decodeBytes(int previous, int token) {
        if (byteOf[token] >= 0) {
            return new byte[]{(byte) byteOf[token]};
        }
        String piece = vocab.piece(token);
        if (previous == BOS && piece.startsWith(" ")) {
            piece = piece.substring(1);
        }
        return piece.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** One token as text. A byte-fallback token that is part of a multi-byte character decodes to U+FFFD alone. */
    @Override
    public String decode(int previous, int token) {
        return new String(decodeBytes(previous, token), StandardCharsets.UTF_8);
    }

    /** A whole sequence as text; multi-byte characters spelled with byte-fallback tokens come out whole. */
    public String decode(int[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = -1;
        for (int t : tokens) {
            if (t != BOS && t != EOS) {
                out.writeBytes(decodeBytes(prev, t));
            }
            prev = t;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public int bos() {
        return BOS;
    }

    @Override
    public int eos() {
        return EOS;
    }
}
