//! Unit tests for the credential and identifier formats: every vendor token family with its
//! exact span, the database connection forms, generic `key = value` assignments in the config
//! and code formats people paste, passports and NPIs in context, and the placeholders, examples
//! and references that must stay out.

use super::tests::{assert_finds, assert_not_class};

/// `value` is found as `class` with exactly that span inside each of the `contexts`
/// (`{}` marks where the value goes).
fn finds_in(contexts: &[&str], value: &str, class: &str) {
    for ctx in contexts {
        assert_finds(&ctx.replace("{}", value), class, value);
    }
}

#[test]
fn gitlab_token_families() {
    for tok in [
        "glft-u8jzPde0IgxLd6GncfBAepfJ",
        "glimt-Bd0Kh8oOOL8dKLzdocJ2isAj",
        "glagent-IhKtJ0RlgLKOmxgJTeKdNnFR",
        "glsoat-IBXuDL7DxtpYlSXpfKtHF4vU",
        "glffct-CsMehGAkWvj7FAc9QeWJKY40",
        "glrtr-uvSwMFLZDe1f8rESQedUStPK",
        "glcbt-64_R0CsTy4Qwb8DwkNhFdnXsiVp",
        "GR1348941zz63FfkCzJr4i0B3JrTAwR4y",
        "glpat-Zx8kQ2mP7vR4tY9wB3nLq7Ty2Ui8Op4As.01.0w1a2b3c4",
    ] {
        finds_in(
            &[
                "token: {}",
                "export GITLAB_TOKEN=\"{}\"",
                "curl -H 'PRIVATE-TOKEN: {}' x",
            ],
            tok,
            "secret.gitlab_token",
        );
    }
    assert_not_class(
        "glpat-xxxxxxxxxxxxxxxxxxxx and GR1348941 and glft-example-token-here",
        "secret.gitlab_token",
    );
}

#[test]
fn stripe_secrets_and_webhook_signing_secrets() {
    for tok in [
        "sk_live_51Hq8ZkJm2xV7nB4cR9tY3wPq",
        "rk_live_51Hq8ZkJm2xV7nB4cR9tY3wPqLm6",
        "rk_test_51Hq8ZkJm2xV7nB4cR9tY3wPqLm6",
        "whsec_9ojfljoQoaF1LlqsajAIxNKu",
    ] {
        finds_in(
            &["STRIPE={}", "stripe.api_key = '{}'"],
            tok,
            "secret.stripe_key",
        );
    }
    // Publishable keys are public; placeholders are not secrets.
    assert_not_class(
        "pk_live_51Hq8ZkJm2xV7nB4cR9tY3wPq whsec_xxxxxxxxxxxxxxxxxxxxxxxx whsec_...",
        "secret.stripe_key",
    );
}

#[test]
fn google_keys_client_secrets_and_access_tokens() {
    finds_in(
        &["\"client_secret\": \"{}\",", "GOOGLE_CLIENT_SECRET={}"],
        "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",
        "secret.google_api_key",
    );
    finds_in(
        &["Authorization: Bearer {}"],
        "ya29.tGSU8po_799NksnRH9ucAUsdMlHUvTCQCyEZDz-TddJ8HyS5SUkCnD8zRA9a9SkpXz9w3QlY7Zkuvqdt7s8Stqcbnr",
        "secret.google_api_key",
    );
    assert_not_class(
        "GOCSPX-xxxxxxxxxxxxxxxxxxxxxxxxxxxx ya29.a0AfH6SMxxxx GOCSPX-short",
        "secret.google_api_key",
    );
}

#[test]
fn legacy_github_tokens_need_a_github_key_name() {
    let hex = "d6608697a8d41bed440e50454f31af3176813e02";
    finds_in(
        &["GITHUB_TOKEN={}", "github_oauth_token: \"{}\""],
        hex,
        "secret.github_token",
    );
    assert_not_class(&format!("commit {hex}"), "secret.github_token");
}

#[test]
fn database_urls_every_scheme_and_form() {
    for url in [
        "mongodb+srv://app:Kx9vQ2mT7rL4@cluster0.ab1cd.mongodb.net/orders?retryWrites=true",
        "mongodb://app:Kx9vQ2mT7rL4@db1.internal:27017,db2.internal:27017/orders?replicaSet=rs0",
        "rediss://default:Zq7pL3mW9xR2@cache.internal:6380/0",
        "amqps://svc:Tr8mQ2vX9kLp@mq.internal:5671/vhost",
        "clickhouse://etl:Hn4kP9sW2qZx@ch.internal:9000/analytics",
        "cockroachdb://root:Vb6nM3qZ8wJk@crdb.internal:26257/bank",
        "mariadb://app:Kx9vQ2mT7rL4@10.0.0.5/shop",
        "mssql+pyodbc://sa:Zq7pL3mW9xR2@sql01/hr?driver=ODBC+Driver+18",
        "couchdb://admin:Tr8mQ2vX9kLp@couch.internal:5984",
        "influxdb://writer:Hn4kP9sW2qZx@influx.internal:8086/metrics",
        "opensearch://admin:Vb6nM3qZ8wJk@search.internal:9200",
        "ldaps://cn=admin:Kx9vQ2mT7rL4@ldap.corp.local:636",
        "jdbc:mysql://db.internal:3306/shop?user=app&password=Kx9vQ2mT7rL4&useSSL=true",
        "jdbc:postgresql://db.internal/orders?user=etl&password=Zq7pL3mW9xR2",
        "jdbc:oracle:thin:scott/Tr8mQ2vX9kLp@//ora.internal:1521/ORCLPDB1",
        "jdbc:oracle:thin:scott/Tr8mQ2vX9kLp@ora.internal:1521:ORCL",
    ] {
        finds_in(
            &["url = {}", "DATABASE_URL=\"{}\"", "connect('{}')"],
            url,
            "secret.db_connection_string",
        );
    }
    for conn in [
        "host=db.internal port=5432 dbname=orders user=etl password=Kx9vQ2mT7rL4 sslmode=require",
        "Data Source=(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=ora01)(PORT=1521)));User Id=scott;Password=Tr8mQ2vX9kLp",
        "Server=myhost;Port=3306;Database=shop;Uid=app;Pwd=Zq7pL3mW9xR2",
        "User ID=svc;Password=Hn4kP9sW2qZx;Host=pg01;Database=crm",
        "jdbc:db2://db2.internal:50000/SAMPLE:user=db2inst1;password=Vb6nM3qZ8wJk",
    ] {
        finds_in(&["conn = \"{}\""], conn, "secret.db_connection_string");
    }
    // No password, or a placeholder password: no finding.
    for fake in [
        "mongodb+srv://cluster0.ab1cd.mongodb.net/orders",
        "redis://localhost:6379/0",
        "postgres://app@db.internal/orders",
        "jdbc:mysql://db/shop?user=app&password=${DB_PASSWORD}",
        "jdbc:mysql://db/shop?user=app&useSSL=true",
        "jdbc:oracle:thin:@//ora.internal:1521/ORCLPDB1",
        "host=db.internal dbname=orders user=etl password=changeme",
        "amqp://guest:<password>@localhost:5672/",
    ] {
        assert_not_class(fake, "secret.db_connection_string");
    }
}

#[test]
fn generic_assignments_in_pasted_formats() {
    let v = "Xk9mQ2vL7pRt4w";
    finds_in(
        &[
            "DB_PASSWORD={}",
            "export API_TOKEN={}",
            "password: {}",
            "  password: \"{}\"",
            "{\"api_key\": \"{}\"}",
            "secret_key = \"{}\"",
            "[db]\npassword = {}\n",
            "const apiKey = \"{}\";",
            "password := \"{}\"",
            "String secret = \"{}\";",
            "private const string ApiKey = \"{}\";",
            "environment:\n  - POSTGRES_PASSWORD={}\n",
            "stringData:\n  password: {}\n",
            "SMTP_PASS={}",
            "clientSecret: '{}'",
            "X-API-Key: {}",
            "'password' => '{}',",
            "signing_key: {}",
        ],
        v,
        "secret.generic",
    );
}

#[test]
fn generic_placeholders_references_and_settings_stay_out() {
    for text in [
        "password: changeme",
        "api_key: <your-api-key>",
        "DB_PASSWORD=${DB_PASSWORD}",
        "password: {{ .Values.password }}",
        "password = %(password)s",
        "token: xxxxxxxx",
        "token = your_token_here",
        "API_KEY=REPLACE_ME",
        "password: ***",
        "secret: null",
        "token: true",
        "password_file: /run/secrets/db_password",
        "secret: /etc/app/secret.key",
        "password: ./secrets/pw.txt",
        "password_min_length: 12",
        "api_key: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
        "password: vault:secret/data/db#password",
        "token: op://Private/GitHub/token2",
        "secret: https://vault.internal/v1/kv/app",
        "password: cGFzc3dvcmQ=",
        "passport_photo: upload12.png",
        "secretKeyRef: dbcreds",
        "password: string",
        "token: TODO_fill_me_in_1",
    ] {
        assert_not_class(text, "secret.generic");
    }
}

#[test]
fn passports_in_document_contexts() {
    for (text, value) in [
        ("Passport No. 123456789 issued 2019", "123456789"),
        ("Passport #: A12345678", "A12345678"),
        ("passport number: 987654321.", "987654321"),
        ("Passport number is 540312879", "540312879"),
        ("Reisepass-Nr.: C01X00T47", "C01X00T47"),
        ("Pass-Nr. C4J9K2L71", "C4J9K2L71"),
        ("numéro de passeport : 12AB34567", "12AB34567"),
        ("número de pasaporte: PAA123456", "PAA123456"),
        ("旅券番号：TK1234567", "TK1234567"),
        ("{\"passport_number\": \"E12345678\"}", "E12345678"),
    ] {
        assert_finds(text, "pii.passport", value);
    }
    for text in [
        "passport photos 2x2 inches",
        "compass 123456789",
        "bypass-nr 123456789",
        "Passport No. AAAAAAAAA",
    ] {
        assert_not_class(text, "pii.passport");
    }
}

#[test]
fn npis_in_context_tables_and_x12() {
    for (text, value) in [
        ("NPI 1987654328", "1987654328"),
        ("NPI #: 1548720394", "1548720394"),
        ("Billing NPI: 2111222339", "2111222339"),
        ("Rendering provider NPI 1987654328", "1987654328"),
        (
            "National Provider Identifier (NPI): 1548720394",
            "1548720394",
        ),
        ("| Dr. Jane Roe | NPI | 1987654328 |", "1987654328"),
        ("npi,name\n1548720394,Roe", "1548720394"),
        ("NM1*82*1*ROE*JANE****XX*1987654328~", "1987654328"),
    ] {
        assert_finds(text, "health.us_npi", value);
    }
    for text in [
        "order 1987654328 shipped",
        "NPI 1987654327",
        "snpinfo 1987654328",
        "tracking: 2111222339",
    ] {
        assert_not_class(text, "health.us_npi");
    }
}

#[test]
fn generic_values_with_dots_and_punctuation_are_whole() {
    for v in [
        "yWB07y.GXG66SES5wHOF2EMGKq",
        "Z.YgFTfwSkcfHN.c04lAa",
        "iQfe4W_.sd4h.F.U8Neosn4gYUGioUmNXq",
        "jIYM4dK3XXm0x5CTQKfLg.i",
    ] {
        finds_in(
            &[
                "DB_PASSWORD={}\nDB_HOST=db.internal.example\n",
                "export API_TOKEN=\"{}\"",
                "environment:\n  REDIS_PASSWORD: {}\n",
                "spring.datasource.password={}",
            ],
            v,
            "secret.generic",
        );
    }
    for v in [
        "P%smWpg4rN-9W-8Z",
        "HXHUrId.1^kqNZKc+GQrs5mi",
        "Ylgg2OfhfgBmR4ohTBR4-d_+x@U9H.TwqoIAn",
    ] {
        finds_in(
            &[
                "props.setProperty(\"password\", \"{}\");",
                "os.environ.setdefault('API_KEY', '{}')",
                "const m = new Map([[\"token\", \"{}\"]]);",
                "password = \"{}\"",
            ],
            v,
            "secret.generic",
        );
    }
    // A password with `@` and `.` is not an e-mail address.
    assert_not_class(
        "props.setProperty(\"password\", \"Ylgg2OfhfgBmR4ohTBR4-d_+x@U9H.TwqoIAn\");",
        "pii.email",
    );
}

#[test]
fn dotted_names_versions_hosts_and_argument_lists_stay_out() {
    for text in [
        "password = settings.DATABASE_PASSWORD",
        "secret = os.environ.get",
        "secret_key = config.secret_key",
        "api_key = self.apiKey.value",
        "token = request.headers.Authorization",
        "client_secret: app.config.OAuthClientSecret",
        "secret_host: db-01.internal.example",
        "api_token: store4.internal.example",
        "secret: server-cert.pem",
        "token_version: 1.2.3-beta.4",
        "secret_release: v2.10.0+build.7",
        "keys = [\"access_token\", \"refresh_token\"]",
        "headers.put(\"token\", \"Bearer\")",
        "getProperty(\"password\", \"default-password\")",
    ] {
        assert_not_class(text, "secret.generic");
    }
}

#[test]
fn database_urls_with_a_password_and_no_user() {
    let url = "redis://:3QWiFlHQkbKjx5SDd3jrBs3@store4.internal.example:6379/0";
    finds_in(
        &[
            "engine = create_engine(\"{}\")",
            "REDIS_URL={}",
            "cache: {} (primary)",
        ],
        url,
        "secret.db_connection_string",
    );
    assert_not_class(&format!("engine = create_engine(\"{url}\")"), "pii.email");
    for fake in [
        "redis://:@cache.internal:6379/0",
        "redis://:password@cache.internal:6379/0",
        "redis://cache.internal:6379/0",
    ] {
        assert_not_class(fake, "secret.db_connection_string");
    }
}
