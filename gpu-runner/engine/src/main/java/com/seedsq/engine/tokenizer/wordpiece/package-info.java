/**
 * BERT's uncased WordPiece tokenizer in pure Java, faithful to Google's {@code tokenization.py}
 * ({@link com.seedsq.engine.tokenizer.wordpiece.BasicTokenizer} then greedy longest-match pieces).
 */
package com.seedsq.engine.tokenizer.wordpiece;
