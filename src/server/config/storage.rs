//! `STORAGE_URL`: where sealed documents live. Unset (or `file://DIR`), a local
//! directory for one instance; `s3://BUCKET[/prefix]`, a bucket that several instances
//! share, reached with `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY` and `AWS_ALLOW_HTTP` (and, without keys, whatever
//! credentials the environment offers).

use super::{Env, expected};
use std::fmt;
use std::path::{Path, PathBuf};
use url::Url;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    Directory(PathBuf),
    S3(S3Bucket),
}

/// An S3-compatible bucket. The secret never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Bucket {
    pub bucket: String,
    /// Where in the bucket the documents are, without slashes at either end; may be empty.
    pub prefix: String,
    /// `AWS_ENDPOINT_URL`: another S3-compatible service than Amazon's.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// `AWS_ALLOW_HTTP=true`: the endpoint may be plain http (a bucket on the same host).
    pub allow_http: bool,
}

impl fmt::Debug for S3Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Bucket")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "[redacted]"),
            )
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

const EXPECTED: &str = "file://DIRECTORY or s3://BUCKET[/prefix]";

pub(super) fn storage<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    data_dir: &Path,
) -> Result<Storage, super::ConfigError> {
    let Some(raw) = env.get("STORAGE_URL") else {
        return Ok(Storage::Directory(data_dir.join("documents")));
    };
    let url = Url::parse(&raw).map_err(|_| expected("STORAGE_URL", EXPECTED))?;
    match url.scheme() {
        "file" => {
            let dir = url.to_file_path().map_err(|()| expected("STORAGE_URL", EXPECTED))?;
            Ok(Storage::Directory(dir))
        }
        "s3" => {
            let bucket = url
                .host_str()
                .filter(|bucket| !bucket.is_empty())
                .ok_or_else(|| expected("STORAGE_URL", EXPECTED))?
                .to_owned();
            let endpoint = env.get("AWS_ENDPOINT_URL");
            let allow_http = env.flag("AWS_ALLOW_HTTP", false)?;
            if let Some(endpoint) = &endpoint {
                let scheme = Url::parse(endpoint).map(|url| url.scheme().to_owned()).ok();
                match scheme.as_deref() {
                    Some("https") => {}
                    Some("http") if allow_http => {}
                    Some("http") => {
                        return Err(expected(
                            "AWS_ENDPOINT_URL",
                            "an https:// URL (or set AWS_ALLOW_HTTP=true for a plain-http endpoint)",
                        ));
                    }
                    _ => return Err(expected("AWS_ENDPOINT_URL", "an http:// or https:// URL")),
                }
            }
            let access_key_id = env.get("AWS_ACCESS_KEY_ID");
            let secret_access_key = env.get("AWS_SECRET_ACCESS_KEY");
            if access_key_id.is_some() != secret_access_key.is_some() {
                return Err(expected(
                    "AWS_ACCESS_KEY_ID",
                    "both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (then a session token or a role from the environment)",
                ));
            }
            Ok(Storage::S3(S3Bucket {
                bucket,
                prefix: url.path().trim_matches('/').to_owned(),
                endpoint,
                region: env
                    .get("AWS_REGION")
                    .or_else(|| env.get("AWS_DEFAULT_REGION"))
                    .unwrap_or_else(|| "us-east-1".into()),
                access_key_id,
                secret_access_key,
                allow_http,
            }))
        }
        _ => Err(expected("STORAGE_URL", EXPECTED)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<Storage, super::super::ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        storage(&Env(|name| vars.get(name).cloned()), Path::new("/srv/santhium"))
    }

    #[test]
    fn storage_is_a_local_directory_unless_a_bucket_is_named() {
        assert_eq!(parse(&[]), Ok(Storage::Directory("/srv/santhium/documents".into())));
        assert_eq!(
            parse(&[("STORAGE_URL", "file:///var/lib/docs")]),
            Ok(Storage::Directory("/var/lib/docs".into()))
        );
        let Ok(Storage::S3(bucket)) = parse(&[
            ("STORAGE_URL", "s3://santhium/prod/documents/"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:8333"),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_ACCESS_KEY_ID", "santhium"),
            ("AWS_SECRET_ACCESS_KEY", "very-secret"),
        ]) else {
            panic!("a bucket");
        };
        assert_eq!(
            (bucket.bucket.as_str(), bucket.prefix.as_str()),
            ("santhium", "prod/documents")
        );
        assert_eq!(bucket.region, "us-east-1");
        assert!(!format!("{bucket:?}").contains("very-secret"));
    }

    #[test]
    fn a_bad_storage_setting_is_named() {
        for (vars, variable) in [
            (vec![("STORAGE_URL", "ftp://host/x")], "STORAGE_URL"),
            (vec![("STORAGE_URL", "s3://")], "STORAGE_URL"),
            (
                vec![("STORAGE_URL", "s3://b"), ("AWS_ENDPOINT_URL", "http://127.0.0.1:8333")],
                "AWS_ENDPOINT_URL",
            ),
            (
                vec![("STORAGE_URL", "s3://b"), ("AWS_ALLOW_HTTP", "maybe")],
                "AWS_ALLOW_HTTP",
            ),
        ] {
            assert_eq!(parse(&vars).map_err(|e| e.variable), Err(variable), "{vars:?}");
        }
    }
}
