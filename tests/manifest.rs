//! TRAILER_MANIFEST.json: the earlier tool's reference manifest loads, and `cinecut schema` prints a schema
//! that the reference's clips satisfy (enums read out of the schema itself, so the two cannot drift apart).

use std::path::PathBuf;
use std::process::Command;

use cinecut::{Act, BeatType, Manifest, Transition};
use serde_json::Value;

const REFERENCE: &str = "manifest-v2-tears-of-steel.json";

/// `../shared/reference` beside the checkout, else the shared copy; `None` (the test skips) when neither exists.
fn reference() -> Option<PathBuf> {
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference");
    let found = [beside, PathBuf::from("/work/shared/reference")]
        .into_iter()
        .map(|dir| dir.join(REFERENCE))
        .find(|p| p.is_file());
    if found.is_none() {
        eprintln!("skipped: {REFERENCE} not found in ../shared/reference or /work/shared/reference");
    }
    found
}

fn schema() -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_cinecut"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("`cinecut schema` prints valid JSON")
}

#[test]
fn the_reference_manifest_loads() {
    let Some(path) = reference() else { return };
    // Tears of Steel runs 734.2 s.
    let m = Manifest::load(&path, Some(734.2)).unwrap();
    assert_eq!((m.schema_version.as_str(), m.vibe.as_str()), ("2.0", "sci-fi"));
    assert_eq!(m.clips.len(), 3);
    let acts: Vec<Act> = m.clips.iter().map(|c| c.act).collect();
    assert_eq!(acts, [Act::ColdOpen, Act::Act2, Act::Act3]);
    assert_eq!(m.clips[2].beat_type, BeatType::ClimaxPeak);
    assert_eq!(m.clips[1].transition, Transition::Crossfade);
    assert_eq!(
        m.resolve_source(&path),
        path.parent().unwrap().join("tears_of_steel_1280x534.mp4")
    );
    assert_eq!(m.bpm_grid.unwrap().bpm, 115.0);
    assert_eq!(m.structural_anchors.unwrap().anchors.climax_t, 440.0);
    assert!(m.extra.is_empty());
}

#[test]
fn the_schema_is_json_and_the_reference_clips_satisfy_its_enums() {
    let schema = schema();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        required.contains(&"clips") && required.contains(&"source_file"),
        "{required:?}"
    );

    let Some(path) = reference() else { return };
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let allows = |prop: &Value, value: &Value| prop["enum"].as_array().unwrap().contains(value);
    assert!(allows(&schema["properties"]["vibe"], &manifest["vibe"]));

    let item = &schema["properties"]["clips"]["items"];
    let props = item["properties"].as_object().unwrap();
    let enum_fields: Vec<&String> = props.keys().filter(|k| props[*k].get("enum").is_some()).collect();
    assert!(enum_fields.len() >= 4, "{enum_fields:?}");
    for (i, clip) in manifest["clips"].as_array().unwrap().iter().enumerate() {
        for key in item["required"].as_array().unwrap() {
            assert!(clip.get(key.as_str().unwrap()).is_some(), "clips[{i}] lacks {key}");
        }
        for &key in &enum_fields {
            if let Some(value) = clip.get(key) {
                assert!(
                    allows(&props[key], value),
                    "clips[{i}].{key} = {value} is not in the schema's enum"
                );
            }
        }
    }
}

#[test]
fn the_published_schema_file_is_what_cinecut_schema_prints() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/trailer_manifest.schema.json");
    let published: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        published,
        schema(),
        "regenerate it: cinecut schema > docs/trailer_manifest.schema.json"
    );
}
