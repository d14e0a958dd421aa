package com.seedsq.worker;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A GPU runner: the process that executes the heavy steps of quantization jobs (calibration, evaluation,
 * benchmark) next to a device. On start it discovers its compute backends and reports them on
 * {@code /actuator/info} and {@code /actuator/health}.
 */
@SpringBootApplication
public class WorkerApplication {

    public static void main(String[] args) {
        SpringApplication.run(WorkerApplication.class, args);
    }
}
