/**
 * Remote partitioning over RabbitMQ ({@code sq.jobs.runners=remote}): the manager side (the API cuts the heavy steps
 * into partitions, sends one request per partition to the queue of the job's backend, polls the JobRepository until
 * all are done, then merges) and the pieces the runners share with it (the request format, the partition tasklet).
 * Spring Batch's remote partitioning does the work; nothing here schedules on its own.
 */
package com.seedsq.jobs.remote;
