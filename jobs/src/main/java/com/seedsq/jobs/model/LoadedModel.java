package com.seedsq.jobs.model;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.tokenizer.Tokenizer;
import com.seedsq.engine.tokenizer.hf.HfJsonTokenizer;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceTokenizer;
import com.seedsq.engine.tokenizer.wordpiece.WordPieceTokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/** A model opened by the engine from its local directory, with its tokenizer. Closing it unmaps the weights. */
public record LoadedModel(ModelSummary summary, Model model, Tokenizer tokenizer) implements AutoCloseable {

    public static LoadedModel open(Path dir) {
        ModelSummary summary = ModelInspector.inspect(dir);
        Model model = Model.open(dir.resolve(summary.checkpoint()));
        try {
            return new LoadedModel(summary, model, tokenizer(dir, summary, model));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static Tokenizer tokenizer(Path dir, ModelSummary summary, Model model) {
        Path checkpoint = dir.resolve(summary.checkpoint());
        return switch (summary.format()) {
            case "llama2c" -> {
                if (summary.tokenizer() == null) {
                    throw new ModelFormatException(checkpoint, null,
                            "a llama2.c checkpoint needs its tokenizer: upload tokenizer.bin (or tok*.bin) with it");
                }
                yield SentencePieceTokenizer.load(dir.resolve(summary.tokenizer()));
            }
            case "hf" -> {
                if (!model.family().causal()) {
                    // BERT: its WordPiece vocabulary (the masked-LM protocol's tokenizer), not tokenizer.json
                    if (!Files.exists(dir.resolve("vocab.txt"))) {
                        throw new ModelFormatException(checkpoint, null,
                                "a BERT model needs its vocab.txt (WordPiece vocabulary): upload it with the model");
                    }
                    yield WordPieceTokenizer.load(dir.resolve("vocab.txt"));
                }
                if (!Files.exists(dir.resolve("tokenizer.json"))) {
                    throw new ModelFormatException(checkpoint, null,
                            "a Hugging Face model needs its tokenizer.json: upload it with the model files");
                }
                yield HfJsonTokenizer.load(dir);
            }
            case "gguf" -> model.embeddedTokenizer().orElseThrow(() -> new ModelFormatException(checkpoint, null,
                    "this GGUF carries no sentencepiece vocabulary (tokenizer.ggml.tokens/scores)"));
            default -> throw new ModelFormatException(checkpoint, null,
                    "jobs on " + summary.format() + " models are not supported yet");
        };
    }

    @Override
    public void close() {
        try {
            if (tokenizer instanceof AutoCloseable c) {
                c.close();
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not release the tokenizer", e);
        } finally {
            model.close();
        }
    }
}
