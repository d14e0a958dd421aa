package com.seedsq.jobs.quantize;

import com.seedsq.jobs.quantize.steps.BenchmarkPartitions;
import com.seedsq.jobs.quantize.steps.BenchmarkStep;
import com.seedsq.jobs.quantize.steps.CalibrationShards;
import com.seedsq.jobs.quantize.steps.EvaluationPartitions;
import com.seedsq.jobs.remote.RemoteManagerConfiguration;
import com.seedsq.jobs.remote.RemoteSteps;
import com.seedsq.jobs.quantize.steps.CalibrateStep;
import com.seedsq.jobs.quantize.steps.EvaluateStep;
import com.seedsq.jobs.quantize.steps.PackageStep;
import com.seedsq.jobs.quantize.steps.QuantizeStep;
import com.seedsq.jobs.quantize.steps.SmoothQuantVariants;
import com.seedsq.jobs.quantize.steps.SmoothStep;
import com.seedsq.jobs.quantize.steps.ValidateStep;
import com.seedsq.jobs.quantize.steps.Variants;
import com.seedsq.jobs.spec.JobSpec;
import com.seedsq.storage.artifact.ArtifactStore;
import com.seedsq.storage.metadata.Datasets;
import com.seedsq.storage.metadata.Jobs;
import com.seedsq.storage.metadata.Models;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * The quantization job: validate → calibrate → smooth → quantize → evaluate → benchmark → package, each step a
 * tasklet over the engine (the SmoothQuant facade). Steps hand
 * results on through the artifact store, so a restart skips completed steps and resumes at the failed one.
 */
@AutoConfiguration(afterName = "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration")
@EnableConfigurationProperties(JobsProperties.class)
@Import(RemoteManagerConfiguration.class)
public class QuantizeJobConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public JsonMapper sqJobJsonMapper() {
        return JsonMapper.builder().build();
    }

    @Bean
    public JobStep.Services jobStepServices(Jobs jobs, Models models, ArtifactStore store,
                                            JobsProperties properties, JsonMapper json,
                                            PlatformTransactionManager tx) {
        TransactionTemplate ownTransaction = new TransactionTemplate(tx);
        ownTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        return new JobStep.Services(jobs, models, store, properties.workDir(), json, ownTransaction);
    }

    @Bean
    @ConditionalOnMissingBean
    public Variants jobVariants() {
        return new SmoothQuantVariants();
    }

    /**
     * The job. With {@code sq.jobs.runners=remote} the heavy steps (calibrate, evaluate, benchmark) are manager
     * steps whose partitions run on the runners; the light ones (validate, smooth, quantize, package) stay here.
     */
    @Bean
    @ConditionalOnProperty(name = "sq.jobs.manager", havingValue = "true", matchIfMissing = true)
    public Job quantizeJob(JobRepository repository, PlatformTransactionManager tx, JobStep.Services services,
                           Models models, Datasets datasets, Variants variants, WebhookNotifier webhooks,
                           Jobs jobs, JsonMapper json, JobsProperties properties,
                           ObjectProvider<RemoteSteps> remoteSteps) {
        JobStatusListener listener = new JobStatusListener(jobs, jobId -> jobs.get(jobId).ifPresent(j ->
                webhooks.jobFinished(jobId, json.readValue(j.spec(), JobSpec.class).webhookUrl())));
        RemoteSteps remote = properties.remoteRunners() ? remoteSteps.getObject() : null;
        Step calibrate = remote != null
                ? remote.managerStep(new CalibrationShards(datasets, properties.remote().calibrationShards(),
                        properties.remote().reproducible()))
                : step(QuantizeSteps.CALIBRATE, new CalibrateStep(services, datasets), repository, tx);
        Step evaluate = remote != null
                ? remote.managerStep(new EvaluationPartitions(datasets, variants, properties.remote().reproducible()))
                : step(QuantizeSteps.EVALUATE, new EvaluateStep(services, datasets, variants), repository, tx);
        Step benchmark = remote != null ? remote.managerStep(new BenchmarkPartitions(variants))
                : step(QuantizeSteps.BENCHMARK, new BenchmarkStep(services, variants), repository, tx);
        return new JobBuilder(QuantizeJob.NAME, repository)
                .listener(listener)
                .start(step(QuantizeSteps.VALIDATE, new ValidateStep(services, models, datasets,
                        properties.remoteRunners()), repository, tx))
                .next(calibrate)
                .next(step(QuantizeSteps.SMOOTH, new SmoothStep(services, datasets), repository, tx))
                .next(step(QuantizeSteps.QUANTIZE, new QuantizeStep(services, datasets), repository, tx))
                .next(evaluate)
                .next(benchmark)
                .next(step(QuantizeSteps.PACKAGE, new PackageStep(services, models), repository, tx))
                .build();
    }

    private static Step step(QuantizeSteps which, Tasklet tasklet, JobRepository repository,
                             PlatformTransactionManager tx) {
        return new StepBuilder(which.stepName(), repository).tasklet(tasklet, tx).build();
    }

    @Bean
    public WebhookNotifier webhookNotifier(Jobs jobs, JobsProperties properties, JsonMapper json) {
        return new WebhookNotifier(jobs, properties.webhooks(), json);
    }

    @Bean
    @ConditionalOnProperty(name = "sq.jobs.manager", havingValue = "true", matchIfMissing = true)
    public JobRunner jobRunner(JobOperator operator, JobRepository repository, Job quantizeJob, Jobs jobs,
                               JobsProperties properties) {
        return new JobRunner(operator, repository, quantizeJob, jobs, properties.concurrency());
    }
}
