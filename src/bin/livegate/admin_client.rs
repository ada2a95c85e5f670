//! The CLI's way into the running livegate: its admin API, found through the server file
//! (else `listen` in the settings), authenticated with the admin token from the config
//! folder. Errors say whether livegate is not running, not set up, or refused and why.

use anyhow::{anyhow, Context};
use livegate::admin::{discovery, token};
use livegate::settings::{Paths, Settings};
use serde_json::Value;

/// A client of one running livegate's admin API.
pub struct AdminClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl AdminClient {
    /// Finds the running livegate of this user (or of `LIVEGATE_HOME`).
    pub fn discover() -> anyhow::Result<Self> {
        let paths = Paths::discover()?;
        let token = token::read(&paths.admin_token_file())?;
        let base = match discovery::read(&paths.server_file()) {
            Some(server) => server.url,
            None => {
                let settings = Settings::load(&paths.settings_file())?;
                format!("http://{}", settings.listen)
            }
        };
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .context("setting up the HTTP client")?;
        Ok(Self { base, token, http })
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.http.get(self.url(path))).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.send(self.http.post(self.url(path)).json(body)).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let response = request.bearer_auth(&self.token).send().await.map_err(|e| {
            if e.is_connect() {
                anyhow!(
                    "no livegate is running at {} ({e}); start it with `livegate serve`",
                    self.base
                )
            } else {
                anyhow!("cannot reach livegate at {}: {e}", self.base)
            }
        })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .with_context(|| format!("reading livegate's answer from {}", self.base))?;
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status.is_success() {
            return Ok(body);
        }
        let message = body
            .get("error")
            .and_then(Value::as_str)
            .map_or_else(|| body.to_string(), str::to_string);
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(anyhow!(
                "livegate at {} did not accept the admin token ({message}); is it another \
                 user's livegate, or was the token file replaced? Restart livegate to use the \
                 current one",
                self.base
            ));
        }
        Err(anyhow!("livegate said {}: {message}", status.as_u16()))
    }
}
