package com.seedsq.jobs.remote;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.dao.DataAccessException;
import org.springframework.transaction.TransactionException;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;

/**
 * A JobRepository whose reads wait out a database that is away for a while (a PostgreSQL restart) instead of
 * failing. The manager of a partitioned step spends almost all its time polling the repository for its partitions;
 * without this, a database restart during that wait would fail the step, and with the database gone, the job could
 * not even be marked failed. Only reads are retried: a write that may or may not have reached the database is not
 * repeated blindly.
 */
final class PatientReads implements InvocationHandler {

    private static final Logger log = LoggerFactory.getLogger(PatientReads.class);

    private final JobRepository target;
    private final Duration patience;

    private PatientReads(JobRepository target, Duration patience) {
        this.target = target;
        this.patience = patience;
    }

    static JobRepository wrap(JobRepository target, Duration patience) {
        return (JobRepository) Proxy.newProxyInstance(JobRepository.class.getClassLoader(),
                new Class<?>[] {JobRepository.class}, new PatientReads(target, patience));
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        boolean read = method.getName().startsWith("get") || method.getName().startsWith("find")
                || method.getName().startsWith("is");
        Instant giveUp = Instant.now().plus(patience);
        while (true) {
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                boolean databaseAway = cause instanceof DataAccessException || cause instanceof TransactionException;
                if (!read || !databaseAway || Instant.now().isAfter(giveUp)) {
                    throw cause;
                }
                log.warn("the JobRepository cannot be read ({}); trying again", cause.toString());
                Thread.sleep(1000);
            }
        }
    }
}
