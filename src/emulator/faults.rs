//! The seeded draws of one call: latency, faults and the request id, always in the same order so
//! that a seed replays.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::RngExt;

use super::config::EmulatorConfig;

/// What chance decided for one call.
#[derive(Debug, Clone, Default)]
pub(crate) struct Draws {
    /// Added before the answer.
    pub(crate) latency: Duration,
    /// Answer `InternalError` without acting.
    pub(crate) internal_error: bool,
    /// (CreateDataFlow) act, then close the connection with no response.
    pub(crate) lost_response: bool,
    /// (CreateDataFlow) never answer; act after the client gives up.
    pub(crate) late_create: bool,
    /// (DescribeDataFlow) close the connection with no response.
    pub(crate) lost_listing: bool,
    /// The `RequestId` of the answer.
    pub(crate) request_id: String,
}

impl Draws {
    /// Draws every value of one call from `rng`, in a fixed order.
    pub(crate) fn draw(rng: &mut StdRng, config: &EmulatorConfig) -> Draws {
        let (min, max) = config.latency_ms;
        let latency = Duration::from_millis(if min >= max {
            min
        } else {
            rng.random_range(min..=max)
        });
        let internal_error = chance(rng, config.internal_error);
        let lost_response = chance(rng, config.lost_response);
        let late_create = chance(rng, config.late_create);
        let request_id = request_id(rng);
        // Drawn last, and only when asked for, so that a seed without it replays as before.
        let lost_listing = config.lost_listing > 0.0 && chance(rng, config.lost_listing);
        Draws {
            latency,
            internal_error,
            lost_response,
            late_create,
            lost_listing,
            request_id,
        }
    }
}

/// True with probability `p`; always consumes one draw.
fn chance(rng: &mut StdRng, p: f64) -> bool {
    let x: f64 = rng.random();
    x < p
}

/// A version-4 UUID string from `rng`, the shape of the service's request ids.
pub(crate) fn request_id(rng: &mut StdRng) -> String {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    let mut s = String::with_capacity(36);
    for (i, range) in [0..8, 8..12, 12..16, 16..20, 20..32]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            s.push('-');
        }
        s.push_str(&h[range]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_seed_replays() {
        let config = EmulatorConfig {
            latency_ms: (1, 50),
            internal_error: 0.5,
            ..EmulatorConfig::default()
        };
        let run = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..20)
                .map(|_| {
                    let d = Draws::draw(&mut rng, &config);
                    (d.latency, d.internal_error, d.request_id)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let id = &run(7)[0].2;
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4');
    }
}
