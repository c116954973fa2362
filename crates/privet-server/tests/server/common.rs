//! A Privet server started in-process on an ephemeral port of 127.0.0.1, with its own data directory.

use std::sync::Arc;

use privet_config::Config;
use privet_server::App;
use serde_json::{Value, json};

pub struct TestServer {
    pub url: String,
    pub token: String,
    pub admin_key: String,
    pub app: Arc<App>,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            // Inside the temporary directory, so that the master key created beside it is removed too.
            data_dir: dir.path().join("data"),
            ..Config::default()
        };
        configure(&mut config);
        let (app, bootstrap) = App::open(config).unwrap();
        let bootstrap = bootstrap.expect("a new data directory is bootstrapped");
        let app = Arc::new(app);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = app.clone();
        let handle = tokio::spawn(async move {
            privet_server::serve(served, listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            url,
            token: bootstrap.token,
            admin_key: bootstrap.admin_key,
            app,
            client: reqwest::Client::new(),
            dir,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap();
        }
    }

    /// Runs SQL as the admin and returns the rows.
    pub async fn sql(&self, sql: &str) -> Vec<Vec<Value>> {
        let response = self
            .client
            .post(format!("{}/api/sql", self.url))
            .bearer_auth(&self.admin_key)
            .json(&json!({"sql": sql}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "{sql}: {body}");
        serde_json::from_value(body["rows"].clone()).unwrap()
    }

    /// A single-value query.
    pub async fn scalar(&self, sql: &str) -> Value {
        self.sql(sql).await[0][0].clone()
    }

    pub fn event(&self, name: &str, distinct_id: &str, extra: Value) -> Value {
        let mut properties = json!({"token": self.token, "distinct_id": distinct_id});
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                properties[k] = v;
            }
        }
        json!({"event": name, "properties": properties})
    }

    /// POSTs JSON to an API route with the admin key; returns the status and the JSON answer.
    pub async fn api(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.admin_key)
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// GETs an API route with `key`; returns the status and the JSON answer.
    pub async fn get_with(&self, path: &str, key: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.url))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// GETs an API route with the admin key.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.get_with(path, &self.admin_key).await
    }

    /// POSTs a form body `data=<payload>` to `path`.
    pub async fn post_form(&self, path: &str, data: &str) -> (u16, String) {
        let response = self
            .client
            .post(format!("{}{path}", self.url))
            .form(&[("data", data)])
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}
