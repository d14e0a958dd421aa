package db.migration;

import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.init.ScriptUtils;

import java.sql.Connection;
import java.util.Locale;

/**
 * Creates the Spring Batch JobRepository tables through Flyway, so one migration history owns the whole schema
 * (spring.batch.jdbc.initialize-schema=never). It runs the DDL script that ships inside spring-batch-core for the
 * connected database, rather than a copy of it, so the schema always matches the Batch version on the classpath.
 * Product tables follow from V2 on, in the storage module.
 */
public class V1__Spring_batch_schema extends BaseJavaMigration {

    @Override
    public void migrate(Context context) throws Exception {
        Connection connection = context.getConnection();
        String product = connection.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
        String platform = switch (product) {
            case "postgresql" -> "postgresql";
            case "h2" -> "h2";
            default -> throw new IllegalStateException("unsupported database for the Batch schema: " + product
                    + " (supported: PostgreSQL, H2)");
        };
        ScriptUtils.executeSqlScript(connection,
                new ClassPathResource("org/springframework/batch/core/schema-" + platform + ".sql"));
    }
}
