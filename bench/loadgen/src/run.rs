//! The closed loop: N workers, each with its own users, set up, probed for refusals, warmed up, then measured.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::dialect::{Ceremony, Dialect, User};
use crate::error::Error;
use crate::process;

/// How many wrong answers the report quotes.
const QUOTED_ERRORS: usize = 5;

/// How long the measurement lasts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Length {
    Duration(Duration),
    /// Until each worker has logged each of its users in this many times, so that a run touches every
    /// stored credential (as a memory measurement over many users needs), however long that takes.
    Passes(u64),
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub ceremony: Ceremony,
    pub workers: usize,
    pub users: usize,
    pub warmup: Duration,
    pub length: Length,
    pub probes: usize,
    pub run_id: String,
    /// The server's process, to report its CPU share during the measurement and its resident memory.
    pub server_pid: Option<u32>,
}

#[derive(Debug, Default, Serialize)]
pub struct Checks {
    pub tokens_verified: u64,
    pub replays_refused: u64,
    pub tampered_refused: u64,
}

#[derive(Debug, Serialize)]
pub struct Latency {
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub ceremonies: u64,
    pub seconds: f64,
    pub per_second: f64,
    pub latency_ms: Latency,
    /// CPU time the server used per second of measurement (1.0 = one core busy).
    pub server_cpu: Option<f64>,
    /// The server's peak resident memory.
    pub server_rss_kib: Option<u64>,
    /// The load generator's own CPU share: near 1.0 means it, not the server, set the pace.
    pub loadgen_cpu: Option<f64>,
    pub checks: Checks,
    pub errors: u64,
    pub first_errors: Vec<String>,
}

/// One worker: its users (disjoint from every other worker's, so one user's sign counter only ever rises
/// in order) and what it saw.
struct Worker {
    index: usize,
    users: Vec<User>,
    next_user: usize,
    done: u64,
    histogram: Histogram<u64>,
    checks: Checks,
    errors: u64,
    first_errors: Vec<String>,
}

impl Worker {
    fn new(index: usize) -> Result<Self, Error> {
        Ok(Self {
            index,
            users: Vec::new(),
            next_user: 0,
            done: 0,
            histogram: Histogram::new_with_bounds(1, 60_000_000, 3)
                .map_err(|e| Error::Histogram(e.to_string()))?,
            checks: Checks::default(),
            errors: 0,
            first_errors: Vec::new(),
        })
    }

    fn wrong(&mut self, error: Error) {
        self.errors += 1;
        if self.first_errors.len() < QUOTED_ERRORS {
            self.first_errors.push(error.to_string());
        }
    }

    /// Registers this worker's share of the users.
    async fn set_up<C: Dialect>(&mut self, client: &C, plan: &Plan) -> Result<(), Error> {
        if plan.ceremony.registers() {
            return Ok(());
        }
        for n in (self.index..plan.users).step_by(plan.workers) {
            let id = format!("{}-user-{n}", plan.run_id);
            let (credential, answer) = client.start_registration(&id, plan.ceremony).await?;
            let finished = client.finish(&answer).await?;
            client.verify(&answer, &finished).await?;
            self.users.push(User { id, credential });
        }
        Ok(())
    }

    /// Starts the plan's ceremony (a new user's registration, or a login of this worker's next user) up to
    /// the authenticator's answer.
    async fn start<C: Dialect>(&mut self, client: &C, plan: &Plan) -> Result<C::Answer, Error> {
        let id = format!("{}-{}-{}", plan.run_id, self.index, self.done);
        self.done += 1;
        match plan.ceremony {
            ceremony if ceremony.registers() => {
                Ok(client.start_registration(&id, ceremony).await?.1)
            }
            ceremony => {
                let transaction = (ceremony == Ceremony::Transaction).then_some(id);
                let count = self.users.len();
                let user = self
                    .users
                    .get_mut(self.next_user % count.max(1))
                    .ok_or_else(|| {
                        Error::Wire("a worker without users (more workers than users?)".into())
                    })?;
                self.next_user += 1;
                client.start_login(user, ceremony, transaction).await
            }
        }
    }

    /// One ceremony of the plan; its latency (initialize to finalize, the client's signing included) when
    /// the server answered right.
    async fn ceremony<C: Dialect>(&mut self, client: &C, plan: &Plan) -> Result<Duration, Error> {
        let started = Instant::now();
        let answer = self.start(client, plan).await?;
        let finished = client.finish(&answer).await?;
        let latency = started.elapsed();
        client.verify(&answer, &finished).await?;
        self.checks.tokens_verified += 1;
        Ok(latency)
    }

    /// A good ceremony whose answer is then replayed, and one whose answer is tampered with: both
    /// must be refused.
    async fn probe<C: Dialect>(&mut self, client: &C, plan: &Plan) -> Result<(), Error> {
        let answer = self.start(client, plan).await?;
        let finished = client.finish(&answer).await?;
        client.verify(&answer, &finished).await?;
        self.checks.tokens_verified += 1;
        client
            .expect_refusal(&answer, &C::response(&answer).body, "a replayed response")
            .await?;
        self.checks.replays_refused += 1;
        let answer = self.start(client, plan).await?;
        client
            .expect_refusal(
                &answer,
                &C::response(&answer).tampered()?,
                "a tampered response",
            )
            .await?;
        self.checks.tampered_refused += 1;
        Ok(())
    }

    async fn probes<C: Dialect>(&mut self, client: &C, plan: &Plan) {
        for _ in 0..plan.probes {
            if let Err(error) = self.probe(client, plan).await {
                self.wrong(error);
            }
        }
    }

    /// One ceremony of the measurement, its latency recorded if the server answered right.
    async fn measure<C: Dialect>(&mut self, client: &C, plan: &Plan) -> u64 {
        match self.ceremony(client, plan).await {
            Ok(latency) => {
                let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
                self.histogram.saturating_record(micros.max(1));
                1
            }
            Err(error) => {
                self.wrong(error);
                0
            }
        }
    }

    /// Runs ceremonies back to back, unrecorded until `measure_from`, then for the plan's length; how many
    /// were measured and when the last of them ended.
    async fn run<C: Dialect>(
        &mut self,
        client: &C,
        plan: &Plan,
        measure_from: Instant,
    ) -> (u64, Instant) {
        while Instant::now() < measure_from {
            if let Err(error) = self.ceremony(client, plan).await {
                self.wrong(error);
            }
        }
        let mut measured = 0;
        match plan.length {
            Length::Duration(duration) => {
                let end = measure_from + duration;
                while Instant::now() < end {
                    measured += self.measure(client, plan).await;
                }
            }
            Length::Passes(passes) => {
                // The users are taken in turn, so this many ceremonies log each of them in `passes` times
                // wherever the warm-up left off.
                for _ in 0..passes * self.users.len() as u64 {
                    measured += self.measure(client, plan).await;
                }
            }
        }
        (measured, Instant::now())
    }
}

fn joined<T>(result: Result<T, tokio::task::JoinError>) -> Result<T, Error> {
    result.map_err(|e| Error::Wire(format!("worker died: {e}")))
}

/// Runs the plan: set-up and probes, warm-up, measurement, probes again.
pub async fn run<C: Dialect>(client: Arc<C>, plan: Plan) -> Result<Outcome, Error> {
    let mut tasks = Vec::with_capacity(plan.workers);
    for index in 0..plan.workers {
        let (client, plan) = (client.clone(), plan.clone());
        tasks.push(tokio::spawn(async move {
            let mut worker = Worker::new(index)?;
            worker.set_up(client.as_ref(), &plan).await?;
            worker.probes(client.as_ref(), &plan).await;
            Ok::<_, Error>(worker)
        }));
    }
    let mut workers = Vec::with_capacity(plan.workers);
    for task in tasks {
        workers.push(joined(task.await)??);
    }

    let measure_from = Instant::now() + plan.warmup;
    let mut tasks = Vec::with_capacity(plan.workers);
    for mut worker in workers.drain(..) {
        let (client, plan) = (client.clone(), plan.clone());
        tasks.push(tokio::spawn(async move {
            let (measured, ended) = worker.run(client.as_ref(), &plan, measure_from).await;
            (worker, measured, ended)
        }));
    }
    tokio::time::sleep_until(measure_from.into()).await;
    let server_cpu = plan.server_pid.and_then(process::CpuMark::now);
    let own_cpu = process::CpuMark::now(std::process::id());
    let (mut measured, mut ended) = (0, measure_from);
    for task in tasks {
        let (worker, count, worker_ended) = joined(task.await)?;
        measured += count;
        ended = ended.max(worker_ended);
        workers.push(worker);
    }
    let server_cpu = server_cpu.and_then(|mark| mark.share());
    let loadgen_cpu = own_cpu.and_then(|mark| mark.share());

    let mut tasks = Vec::with_capacity(plan.workers);
    for mut worker in workers.drain(..) {
        let (client, plan) = (client.clone(), plan.clone());
        tasks.push(tokio::spawn(async move {
            worker.probes(client.as_ref(), &plan).await;
            worker
        }));
    }
    for task in tasks {
        workers.push(joined(task.await)?);
    }

    let seconds = match plan.length {
        Length::Duration(duration) => duration,
        Length::Passes(_) => ended - measure_from,
    };
    let mut outcome = summarise(workers, measured, seconds);
    outcome.server_cpu = server_cpu;
    outcome.loadgen_cpu = loadgen_cpu;
    outcome.server_rss_kib = plan.server_pid.and_then(process::resident_kib);
    Ok(outcome)
}

fn summarise(workers: Vec<Worker>, measured: u64, duration: Duration) -> Outcome {
    let mut checks = Checks::default();
    let (mut errors, mut first_errors) = (0, Vec::new());
    let mut histogram = None::<Histogram<u64>>;
    for worker in workers {
        checks.tokens_verified += worker.checks.tokens_verified;
        checks.replays_refused += worker.checks.replays_refused;
        checks.tampered_refused += worker.checks.tampered_refused;
        errors += worker.errors;
        first_errors.extend(worker.first_errors);
        match &mut histogram {
            Some(all) => {
                // Same bounds on every worker, so adding cannot fail.
                let _ = all.add(&worker.histogram);
            }
            None => histogram = Some(worker.histogram),
        }
    }
    first_errors.truncate(QUOTED_ERRORS);
    let ms = |micros: u64| micros as f64 / 1000.0;
    let latency = histogram.map_or(
        Latency {
            mean: 0.0,
            p50: 0.0,
            p90: 0.0,
            p99: 0.0,
            p999: 0.0,
            max: 0.0,
        },
        |h| Latency {
            mean: h.mean() / 1000.0,
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        },
    );
    let seconds = duration.as_secs_f64();
    Outcome {
        ceremonies: measured,
        seconds,
        per_second: measured as f64 / seconds,
        latency_ms: latency,
        server_cpu: None,
        server_rss_kib: None,
        loadgen_cpu: None,
        checks,
        errors,
        first_errors,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use serde_json::{Value, json};

    use super::*;
    use crate::authenticator::{self, Credential, Response, b64url};

    const ORIGIN: &str = "http://localhost:8080";

    /// A server that accepts every answer and counts the logins of each user.
    #[derive(Default)]
    struct Counting {
        logins: Mutex<HashMap<String, u64>>,
    }

    impl Dialect for Counting {
        type Answer = Response;

        async fn start_registration(
            &self,
            user_id: &str,
            _: Ceremony,
        ) -> Result<(Credential, Response), Error> {
            let options = json!({"publicKey": {"rp": {"id": "localhost"},
                "user": {"id": b64url(user_id.as_bytes())}, "challenge": b64url(&[1; 32])}});
            authenticator::create(&options, ORIGIN)
        }

        async fn start_login(
            &self,
            user: &mut User,
            _: Ceremony,
            _: Option<String>,
        ) -> Result<Response, Error> {
            *self
                .logins
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(user.id.clone())
                .or_default() += 1;
            let options =
                json!({"publicKey": {"rpId": "localhost", "challenge": b64url(&[2; 32])}});
            user.credential.get(&options, ORIGIN)
        }

        async fn finish(&self, _: &Response) -> Result<Value, Error> {
            Ok(Value::Null)
        }

        async fn verify(&self, _: &Response, _: &Value) -> Result<(), Error> {
            Ok(())
        }

        async fn expect_refusal(
            &self,
            _: &Response,
            _: &Value,
            what: &'static str,
        ) -> Result<(), Error> {
            Err(Error::Accepted(what))
        }

        fn response(answer: &Response) -> &Response {
            answer
        }
    }

    #[tokio::test]
    async fn a_run_of_passes_logs_every_user_in_that_many_times() {
        let server = Arc::new(Counting::default());
        let plan = Plan {
            ceremony: Ceremony::Login,
            workers: 3,
            users: 10,
            warmup: Duration::ZERO,
            length: Length::Passes(3),
            probes: 0,
            run_id: "passes".into(),
            server_pid: None,
        };
        let outcome = run(server.clone(), plan).await.unwrap();
        assert_eq!((outcome.ceremonies, outcome.errors), (30, 0));
        let logins = server.logins.lock().unwrap().clone();
        assert_eq!(logins.len(), 10);
        assert!(logins.values().all(|&count| count == 3), "{logins:?}");
    }
}
