package com.seedsq.jobs.model;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.tokenizer.Tokenizer;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceTokenizer;

import java.nio.file.Path;

/** A model opened by the engine from its local directory, with its tokenizer. Closing it unmaps the weights. */
public record LoadedModel(ModelSummary summary, Model model, Tokenizer tokenizer) implements AutoCloseable {

    public static LoadedModel open(Path dir) {
        ModelSummary summary = ModelInspector.inspect(dir);
        Model model = Model.open(dir.resolve(summary.checkpoint()));
        try {
            return new LoadedModel(summary, model, tokenizer(dir, summary));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static Tokenizer tokenizer(Path dir, ModelSummary summary) {
        if (summary.format().equals("llama2c")) {
            if (summary.tokenizer() == null) {
                throw new ModelFormatException(dir.resolve(summary.checkpoint()), null,
                        "a llama2.c checkpoint needs its tokenizer: upload tokenizer.bin (or tok*.bin) with it");
            }
            return SentencePieceTokenizer.load(dir.resolve(summary.tokenizer()));
        }
        throw new ModelFormatException(dir.resolve(summary.checkpoint()), null,
                "jobs on " + summary.format() + " models are not supported yet: the engine tokenizes llama2.c models "
                        + "today (Hugging Face and GGUF tokenizers are being wired in)");
    }

    @Override
    public void close() {
        model.close();
    }
}
