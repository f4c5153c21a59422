//! The detector catalog: one candidate pattern per detector, in priority order, plus the anchor
//! literals the pre-filter looks for.
//!
//! Patterns only propose candidates: they are deliberately loose (`+` instead of exact lengths,
//! no word-boundary assertions) so the lazy DFA stays small and fast; lengths, boundaries,
//! checksums and placeholders are checked by the validators. This file owns no matching code.

/// What confirms a candidate. One variant per validator family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    PrivateKey,
    BareKey,
    Jwt,
    Github,
    GithubPat,
    Gitlab,
    Slack,
    SlackWebhook,
    Stripe,
    Anthropic,
    OpenAi,
    AwsAccessKey,
    AwsSecretKey,
    GoogleApiKey,
    DbUrl,
    DbConnKv,
    Generic,
    Email,
    Passport,
    Mrn,
    DateOfBirth,
    Marking,
    Address,
    Iban,
    Ipv6,
    Numeric,
}

/// One detector: its id, the pattern proposing candidates, and how they are confirmed.
pub(crate) struct Detector {
    pub id: &'static str,
    pub kind: Kind,
}

/// URL schemes of databases, caches, brokers and directories whose URLs carry credentials.
const DB_SCHEMES: &str = "postgres(?:ql)?|postgis|mysql|mariadb|mongodb(?:\\+srv)?|rediss?|valkeys?|amqps?|mssql|sqlserver|oracle|cockroachdb|clickhouses?|couchbases?|couchdb|neo4j(?:\\+s)?|bolt|cassandra|scylladb|snowflake|redshift|db2|ibm_db_sa|sybase|firebird|vertica|timescaledb|yugabytedb|sqlite|influxdb|elasticsearch|opensearch|ldaps?|nats|memcached|trino|presto|hive|teradata|hana|kafka|mqtts?|etcd|arangodb|questdb|pulsar(?:\\+ssl)?|jdbc:[a-z0-9:]+";

/// The detectors in priority order (leftmost-first: at the same start, earlier wins).
pub(crate) fn detectors() -> Vec<(Detector, String)> {
    let p = |id, kind, pattern: &str| (Detector { id, kind }, pattern.to_owned());
    let d = |id, kind, pattern: String| (Detector { id, kind }, pattern);
    let [en, de, fr, es, ja] = super::address::patterns();
    vec![
        p(
            "private_key",
            Kind::PrivateKey,
            r"-----BEGIN [A-Z0-9 ]{0,24}PRIVATE KEY(?: BLOCK)?-----",
        ),
        p(
            "bare_private_key",
            Kind::BareKey,
            r"(?:M[C-I][A-Za-z0-9+/]{14}|b3BlbnNzaC1rZXktdjE)",
        ),
        p(
            "jwt",
            Kind::Jwt,
            r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*",
        ),
        p("github_token", Kind::Github, r"gh[pousr]_[A-Za-z0-9]+"),
        p("github_pat", Kind::GithubPat, r"github_pat_[A-Za-z0-9_]+"),
        // GitLab's token prefixes (https://docs.gitlab.com/security/tokens/#token-prefixes):
        // personal/project/group access glpat-, OAuth application secret gloas-, deploy gldt-,
        // runner authentication glrt- (glrtr- when created by registration), CI/CD job glcbt-,
        // pipeline trigger glptt-, feed glft-, incoming mail glimt-, agent for Kubernetes
        // glagent-, SCIM glsoat-, feature-flags client glffct-, and the deprecated runner
        // registration tokens GR1348941….
        p(
            "gitlab_token",
            Kind::Gitlab,
            r"(?:gl(?:pat|dt|rtr?|ptt|cbt|oas|ft|imt|agent|soat|ffct)-|GR1348941)[A-Za-z0-9_.-]+",
        ),
        p(
            "slack_token",
            Kind::Slack,
            r"(?:xox[abposr]|xapp|xoxe(?:\.xox[bp])?)-[A-Za-z0-9-]+",
        ),
        p(
            "slack_webhook",
            Kind::SlackWebhook,
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]+",
        ),
        // Secret and restricted keys (https://docs.stripe.com/keys) and webhook signing
        // secrets (https://docs.stripe.com/webhooks#verify-official-libraries); publishable pk_
        // keys are public by design.
        p(
            "stripe_key",
            Kind::Stripe,
            r"(?:[rs]k_(?:live|test)_|whsec_)[A-Za-z0-9]+",
        ),
        p(
            "anthropic_key",
            Kind::Anthropic,
            r"sk-ant-[a-z]+[0-9]{2}-[A-Za-z0-9_-]+",
        ),
        p(
            "openai_key",
            Kind::OpenAi,
            r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]+",
        ),
        p(
            "aws_access_key",
            Kind::AwsAccessKey,
            r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}",
        ),
        p(
            "aws_secret_key",
            Kind::AwsSecretKey,
            r#"(?i:aws[ _-]?secret[ _-]?(?:access[ _-]?)?key|secret[ _-]?access[ _-]?key)(?:["'`]?[ \t]*(?::=|=>|=|:|(?i:is|was|equals|for|of|the|my|our|value|prod|production|staging|dev))?[ \t]*){1,4}["'`]?(?P<v>[A-Za-z0-9/+]{40})"#,
        ),
        // API keys AIza… (https://cloud.google.com/docs/authentication/api-keys), OAuth client
        // secrets GOCSPX-… and OAuth access tokens ya29.…
        // (https://developers.google.com/identity/protocols/oauth2).
        p(
            "google_api_key",
            Kind::GoogleApiKey,
            r"(?:AIza|GOCSPX-|ya29\.)[0-9A-Za-z_-]+",
        ),
        // ODBC / ADO.NET / JDBC (SQL Server, jTDS, DB2 `…:user=…;password=…;`) key=value strings
        // (https://learn.microsoft.com/dotnet/framework/data/adonet/connection-string-syntax,
        // https://learn.microsoft.com/sql/connect/jdbc/building-the-connection-url), including
        // Oracle's `Data Source=…;User Id=…;Password=…` (ODP.NET).
        p(
            "db_conn_kv",
            Kind::DbConnKv,
            r#"(?i:(?:jdbc:[a-z0-9:]+://[^\s;"'`]+;|(?:server|data source|host|driver|dsn|address|addr|provider|database|initial catalog|user id|uid|username)[ \t]*=[^;\r\n"'`]+;)(?:[^;\r\n="'`]+=[^;\r\n"'`]*;)*?[ \t]*(?:password|pwd)[ \t]*=[^;\r\n"'`]+(?:;[^;\r\n="'`]+=[^;\r\n"'`]*)*;?)"#,
        ),
        // libpq keyword/value connection strings, space separated
        // (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-KEYWORD-VALUE).
        p(
            "db_conn_dsn",
            Kind::DbConnKv,
            r#"(?i:(?:host|hostaddr|dbname|user|port)=[^\s'"`;]+(?:[ \t]+[a-z_]+=[^\s'"`;]+)*?[ \t]+password=[^\s'"`;]+(?:[ \t]+[a-z_]+=[^\s'"`;]+)*)"#,
        ),
        // URLs with `user:password@` or a password alone (`redis://:password@host`, Redis
        // `requirepass` without ACL users) (RFC 3986 userinfo; every driver's URL form, e.g.
        // https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS,
        // https://www.mongodb.com/docs/manual/reference/connection-string/ with several hosts).
        d(
            "db_url",
            Kind::DbUrl,
            format!(
                r#"(?i:(?:{DB_SCHEMES})(?:\+[a-z0-9_]+)?)://[^\s:/@"'`<>]*:[^\s@"'`<>]+@[^\s"'`<>,;]+(?:,[^\s"'`<>,;]+)*"#
            ),
        ),
        // URLs carrying the password as a query parameter: MySQL Connector/J and PostgreSQL JDBC
        // (`jdbc:mysql://h/db?user=u&password=p`,
        // https://dev.mysql.com/doc/connector-j/en/connector-j-reference-jdbc-url-format.html,
        // https://jdbc.postgresql.org/documentation/use/#connection-parameters) and libpq URIs.
        d(
            "db_url_query",
            Kind::DbUrl,
            format!(
                r#"(?i:(?:{DB_SCHEMES})(?:\+[a-z0-9_]+)?)://[^\s"'`<>?]+\?(?:[^\s"'`<>&#]*&)*?(?:password|pwd)=[^\s"'`<>&#]+(?:&[^\s"'`<>#]*)*"#
            ),
        ),
        // Oracle thin/OCI driver URLs `jdbc:oracle:thin:user/password@//host:1521/service`
        // (https://docs.oracle.com/en/database/oracle/oracle-database/23/jjdbc/data-sources-and-URLs.html).
        p(
            "db_url_oracle",
            Kind::DbUrl,
            r#"(?i:jdbc:oracle:(?:thin|oci8?):[^\s/@"'`<>:]+/[^\s@"'`<>]+@[^\s"'`<>,;]+)"#,
        ),
        // `key = value` in every config and code form, and a quoted key and value as two call
        // arguments (`props.setProperty("password", "…")`, `os.environ.setdefault("API_KEY",
        // "…")`, `Map.of("token", "…")`).
        p(
            "generic_secret",
            Kind::Generic,
            r#"(?i:[a-z0-9_.-]{0,32}(?:password|passwd|passphrase|pwd|[_.-]pass|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|(?:private|signing|encryption|master|client|app|license|webhook)[_-]?key|credentials?)[a-z0-9_.-]{0,32})(?:["']?[ \t]*(?::=|=>|=|:)[ \t]*["']?|["'][ \t]*,[ \t]*["'])(?P<v>[^\s"'`,;<>(){}\[\]]+)"#,
        ),
        p(
            "email",
            Kind::Email,
            r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,24}",
        ),
        p(
            "passport",
            Kind::Passport,
            r#"(?i:passport|reisepass|pasaporte|passeport|passaporto|паспорт|pass[ -]?(?:nr|nummer))(?i:[ _-]?(?:no\.?|number|nr\.?|nummer|n°|nº|n\.º|núm(?:ero)?\.?|#|id|num(?:ber)?\.?))?[ \t:#."'=]*(?i:(?:is|ist|est|es)[ \t]+)?(?P<v>[A-Z0-9]{6,9})|(?:パスポート番号|パスポート|旅券番号|旅券|护照号码|护照号|护照)[ \t:：]*(?:は[ \t]*)?(?P<v2>[A-Z0-9]{6,9})"#,
        ),
        p(
            "mrn",
            Kind::Mrn,
            r"(?i:mrn|medical record(?: number| no\.?| #)?|patient id|chart (?:number|no\.?|#)|patientennummer|historia clínica|n° de dossier)[ \t:#.]*(?P<v>[A-Z]{0,3}-?[0-9][0-9-]{4,14})",
        ),
        p(
            "date_of_birth",
            Kind::DateOfBirth,
            r"(?i:date of birth|birth ?date|dob|d\.o\.b\.?|born(?: on)?|geburtsdatum|geboren am|fecha de nacimiento|nacido el|nacida el|date de naissance|née? le)[ \t:,.-]*(?P<v>[0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{2,4}|(?i:[0-9]{1,2}(?:st|nd|rd|th)?\.?[ ]+(?:de[ ]+)?[a-zäéû]{3,10}\.?(?:[ ]+de)?,?[ ]+(?:19|20)[0-9]{2}|[a-z]{3,9}\.?[ ]+[0-9]{1,2}(?:st|nd|rd|th)?,?[ ]+(?:19|20)[0-9]{2}))|(?:生年月日|出生日期)[ \t:：]*(?P<v2>[0-9]{4}(?:年|-|/)[0-9]{1,2}(?:月|-|/)[0-9]{1,2}日?)",
        ),
        p(
            "confidential_marking",
            Kind::Marking,
            r"STRICTLY CONFIDENTIAL|COMPANY CONFIDENTIAL|(?i:confidential and proprietary|proprietary and confidential|privileged (?:and|&) confidential|strictly confidential|for internal use only|internal use only|do not distribute|not for distribution|attorney-client privileged)|CONFIDENTIAL|INTERNAL ONLY|TOP SECRET|STRENG VERTRAULICH|VERTRAULICH|CONFIDENTIEL|CONFIDENCIAL|社外秘|極秘|绝密|机密",
        ),
        d(en.0, Kind::Address, en.1),
        d(de.0, Kind::Address, de.1),
        d(fr.0, Kind::Address, fr.1),
        d(es.0, Kind::Address, es.1),
        d(ja.0, Kind::Address, ja.1),
        p(
            "iban",
            Kind::Iban,
            r"(?-u:\b)[A-Z]{2}[0-9]{2}(?:[ .-]?[A-Z0-9]{1,4}){2,9}",
        ),
        p(
            "ipv6",
            Kind::Ipv6,
            r"(?-u:\b)[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{0,4}:(?:[0-9A-Fa-f]{0,4}:){0,5}[0-9A-Fa-f]{1,4}",
        ),
        p(
            "numeric",
            Kind::Numeric,
            r"[+(]?[0-9](?:[0-9]|[ .()/-]{1,3}[0-9]){6,}",
        ),
        p(
            "ipv4",
            Kind::Numeric,
            r"(?-u:\b)[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}",
        ),
    ]
}

/// Exact-case anchor literals for the SIMD (Teddy) pre-filter, with the window margins (bytes
/// before, bytes after the literal) in which the regex then looks for candidates.
pub(crate) const LITERAL_ANCHORS: &[(&str, usize, usize)] = &[
    ("-----BEGIN ", 0, 256),
    ("eyJ", 0, 2048),
    ("ghp_", 0, 256),
    ("gho_", 0, 256),
    ("ghu_", 0, 256),
    ("ghs_", 0, 256),
    ("ghr_", 0, 256),
    ("github_pat_", 0, 512),
    ("glpat-", 0, 256),
    ("gldt-", 0, 256),
    ("glrt-", 0, 256),
    ("glptt-", 0, 256),
    ("glcbt-", 0, 256),
    ("gloas-", 0, 256),
    ("glft-", 0, 256),
    ("glimt-", 0, 256),
    ("glagent-", 0, 256),
    ("glsoat-", 0, 256),
    ("glffct-", 0, 256),
    ("GR1348941", 0, 256),
    ("xox", 0, 512),
    ("xapp-", 0, 512),
    ("hooks.slack.com/", 8, 512),
    ("k_live_", 1, 512),
    ("k_test_", 1, 512),
    ("whsec_", 0, 256),
    ("sk-", 0, 1024),
    ("AKIA", 0, 64),
    ("ASIA", 0, 64),
    ("ABIA", 0, 64),
    ("ACCA", 0, 64),
    ("AIza", 0, 128),
    ("GOCSPX-", 0, 128),
    ("ya29.", 0, 2048),
    // camelCase key names the cased variants below do not spell.
    ("apiKey", 40, 96),
    ("ApiKey", 40, 96),
    ("accessKey", 40, 96),
    ("AccessKey", 40, 96),
    ("authKey", 40, 96),
    ("privateKey", 40, 96),
    ("PrivateKey", 40, 96),
    ("signingKey", 40, 96),
    ("clientKey", 40, 96),
    ("appKey", 40, 96),
    // Bare private key bodies (see `keybody`): DER SEQUENCE headers in base64.
    ("MII", 0, 32),
    ("MIJ", 0, 32),
    ("MIE", 0, 32),
    ("MIF", 0, 32),
    ("MIG", 0, 32),
    ("MIH", 0, 32),
    ("MC4", 0, 32),
    ("MEc", 0, 32),
    ("MHc", 0, 32),
    ("MHQ", 0, 32),
    ("b3BlbnNzaC1rZXktdjE", 0, 32),
    ("TOP SECRET", 0, 16),
    ("VERTRAULICH", 8, 16),
    ("CONFIDEN", 16, 32),
    ("Confiden", 16, 32),
    ("INTERNAL", 16, 32),
    ("Internal", 16, 32),
    ("PROPRIETARY", 32, 32),
    ("Proprietary", 32, 32),
    ("PRIVILEGED", 20, 32),
    ("Privileged", 20, 32),
    ("DO NOT", 0, 24),
    ("Do Not", 0, 24),
    ("Do not", 0, 24),
    ("NOT FOR", 0, 24),
    ("Not For", 0, 24),
    ("Not for", 0, 24),
    ("STRICTLY", 0, 32),
    ("Strictly", 0, 32),
    ("社外秘", 0, 8),
    ("極秘", 0, 8),
    ("绝密", 0, 8),
    ("机密", 0, 8),
];

/// Lowercase anchor words expanded to `lower`, `Title` and `UPPER` case for the pre-filter.
/// The secret-ish key words open a small window; a `key = value` match reaching its end is
/// extended by the engine, so long values are not cut.
pub(crate) const CASED_ANCHORS: &[(&str, usize, usize)] = &[
    // ODBC, ADO.NET and JDBC key=value connection strings name the server well before the
    // password. Listed before `password` and `pwd`: the literal search is leftmost-first, so
    // at the same position the earlier (wider) anchor wins.
    ("password=", 512, 128),
    ("pwd=", 512, 128),
    ("password", 40, 96),
    ("passwd", 40, 96),
    ("passphrase", 40, 96),
    ("pwd", 40, 96),
    ("secret", 40, 96),
    ("token", 40, 96),
    ("api_key", 40, 96),
    ("api-key", 40, 96),
    ("apikey", 40, 96),
    ("access_key", 40, 96),
    ("accesskey", 40, 96),
    ("auth_key", 40, 96),
    ("credential", 40, 96),
    ("_pass", 40, 96),
    ("private_key", 40, 96),
    ("private-key", 40, 96),
    ("signing_key", 40, 96),
    ("encryption_key", 40, 96),
    ("master_key", 40, 96),
    ("client_key", 40, 96),
    ("app_key", 40, 96),
    ("license_key", 40, 96),
    ("webhook_key", 40, 96),
];

/// Margins of the window opened around a run of digits (before, after). The "before" margin
/// covers context words (`Passport number:`, `生年月日：`) and street names before house numbers.
pub(crate) const DIGIT_MARGIN: (usize, usize) = (40, 80);
/// Margins around `@` (e-mail local part up to 64 bytes, domain up to 253).
pub(crate) const AT_MARGIN: (usize, usize) = (128, 280);
/// Margins around `://` (scheme before, credentials and host after).
pub(crate) const URL_MARGIN: (usize, usize) = (40, 512);
/// Margins around a `:` between hex digits (IPv6).
pub(crate) const IPV6_MARGIN: (usize, usize) = (40, 48);
