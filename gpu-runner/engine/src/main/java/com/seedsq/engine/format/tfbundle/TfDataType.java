package com.seedsq.engine.format.tfbundle;

import com.seedsq.engine.tensor.DType;

/** TensorFlow {@code DataType} enum values that matter here, mapped to engine dtypes where one exists. */
final class TfDataType {

    private TfDataType() {
    }

    /** The engine dtype for a TF dtype code, or null when the engine has none. */
    static DType toDType(int code) {
        return switch (code) {
            case 1 -> DType.F32;   // DT_FLOAT
            case 3 -> DType.I32;   // DT_INT32
            case 6 -> DType.I8;    // DT_INT8
            case 14 -> DType.BF16; // DT_BFLOAT16
            case 19 -> DType.F16;  // DT_HALF
            default -> null;
        };
    }

    static String name(int code) {
        return switch (code) {
            case 1 -> "DT_FLOAT";
            case 2 -> "DT_DOUBLE";
            case 3 -> "DT_INT32";
            case 4 -> "DT_UINT8";
            case 5 -> "DT_INT16";
            case 6 -> "DT_INT8";
            case 7 -> "DT_STRING";
            case 9 -> "DT_INT64";
            case 10 -> "DT_BOOL";
            case 14 -> "DT_BFLOAT16";
            case 19 -> "DT_HALF";
            default -> "DataType " + code;
        };
    }
}
