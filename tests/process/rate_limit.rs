//! `ROLODEX_RATE_LIMIT`: the rate limit is a start-up setting read from the environment (the
//! limit's behaviour is tested in process by the API crate's `rate_limit`).

use crate::support::*;

struct Limited {
    process: ServeProcess,
    // Kept until the process has stopped.
    #[allow(
        dead_code,
        reason = "held for its drop: the database outlives the server"
    )]
    db: TestDb,
    token: String,
    client: reqwest::Client,
}

impl Limited {
    async fn get(&self, path: &str, token: &str) -> Answer {
        let r = self
            .client
            .get(format!("{}{path}", self.process.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.expect("body");
        Answer { status, text }
    }
}

/// What this test looks at of a response.
struct Answer {
    status: u16,
    text: String,
}

impl Answer {
    #[track_caller]
    fn expect(&self, status: u16) {
        assert_eq!(
            self.status, status,
            "unexpected status; response body: {}",
            self.text
        );
    }
}

#[tokio::test]
async fn the_limit_is_read_from_the_environment() {
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", None);
    let process = ServeProcess::spawn(&db, &[], &[("ROLODEX_RATE_LIMIT", "1")]);
    let s = Limited {
        process,
        db,
        token,
        client: client(),
    };
    s.get(&format!("{API}/contacts"), &s.token)
        .await
        .expect(200);
    s.get(&format!("{API}/contacts"), &s.token)
        .await
        .expect(429);
}
