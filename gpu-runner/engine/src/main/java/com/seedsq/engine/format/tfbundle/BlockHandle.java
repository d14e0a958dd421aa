package com.seedsq.engine.format.tfbundle;

/** Where a LevelDB table block lives in the index file: offset and size, not counting its 5-byte trailer. */
record BlockHandle(long offset, long size) {

    static BlockHandle read(ProtoCursor c) {
        return new BlockHandle(c.readVarint(), c.readVarint());
    }
}
