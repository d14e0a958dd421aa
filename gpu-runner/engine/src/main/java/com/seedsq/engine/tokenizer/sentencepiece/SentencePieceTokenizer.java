package com.seedsq.engine.tokenizer.sentencepiece;

import com.seedsq.engine.tokenizer.Tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

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
 * llama2.c rescans all pairs after each merge, which is quadratic; this class keeps candidate pairs in a heap
 * ordered by (score desc, position asc) over a linked list of tokens, which picks the same pair at every step, so
 * that a whole 1.3 MB corpus encodes in about a second.
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

    @Override
    public int[] encode(String text, boolean addBos) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        // 1. initial tokens: BOS, dummy prefix, then one per character (or per byte, when byte fallback applies)
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
        // 2. link them (token k at index k; merged-away tokens get id -1), and queue every mergeable pair
        int[] id = Arrays.copyOf(initial, count);
        int[] prev = new int[count], next = new int[count];
        for (int k = 0; k < count; k++) {
            prev[k] = k - 1;
            next[k] = k + 1 < count ? k + 1 : -1;
        }
        PairQueue queue = new PairQueue(count);
        for (int k = 0; k + 1 < count; k++) {
            offer(queue, k, id[k], id[k + 1]);
        }
        // 3. merge best pairs until none is left. An entry is checked against the pair now at its position: if that
        // pair merges with the same score, it has the same key, so it is just as much the best; otherwise skip.
        int remaining = count;
        while (!queue.isEmpty()) {
            long key = queue.poll();
            int left = PairQueue.position(key);
            int right = id[left] < 0 ? -1 : next[left];
            if (right < 0) {
                continue;
            }
            int merged = mergeOf(id[left], id[right]);
            if (merged < 0 || PairQueue.key(vocab.score(merged), left) != key) {
                continue;
            }
            id[left] = merged;
            id[right] = -1;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            remaining--;
            if (prev[left] >= 0) {
                offer(queue, prev[left], id[prev[left]], merged);
            }
            if (next[left] >= 0) {
                offer(queue, left, merged, id[next[left]]);
            }
        }
        int[] out = new int[remaining];
        for (int k = 0, n = 0; k >= 0 && n < remaining; k = next[k]) {
            out[n++] = id[k];
        }
        return out;
    }

    private void offer(PairQueue queue, int position, int leftId, int rightId) {
        int merged = mergeOf(leftId, rightId);
        if (merged >= 0) {
            queue.add(PairQueue.key(vocab.score(merged), position));
        }
    }

    /**
     * A binary min-heap of longs, each a candidate merge: high 32 bits the negated score in an order-preserving
     * int encoding, low 32 bits the left token's position. Smallest key = highest score, then leftmost, which is
     * exactly the pair llama2.c's scan picks.
     */
    private static final class PairQueue {
        private long[] heap;
        private int size;

        PairQueue(int capacity) {
            heap = new long[Math.max(16, capacity)];
        }

        static long key(float score, int position) {
            int bits = Float.floatToIntBits(-score);
            int ordered = bits ^ ((bits >> 31) & 0x7fffffff); // signed-int order == float order
            return ((long) ordered << 32) | position;
        }

        static int position(long key) {
            return (int) key;
        }

        boolean isEmpty() {
            return size == 0;
        }

        void add(long key) {
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size * 2);
            }
            int i = size++;
            while (i > 0 && heap[(i - 1) >>> 1] > key) {
                heap[i] = heap[(i - 1) >>> 1];
                i = (i - 1) >>> 1;
            }
            heap[i] = key;
        }

        long poll() {
            long top = heap[0];
            long last = heap[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && heap[child + 1] < heap[child]) {
                    child++;
                }
                if (heap[child] >= last) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            heap[i] = last;
            return top;
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
