/** File plumbing shared by the format readers: whole-file read-only memory mapping in a closeable arena. */
package com.seedsq.engine.format.io;
