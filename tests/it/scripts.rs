//! Headlines in other scripts shingle sensibly: revisions match, different stories do not.

use storyhash::{Article, Engine, EngineConfig, Status};

fn verdicts(titles: &[&str]) -> Vec<storyhash::Verdict> {
    let engine = Engine::in_memory(EngineConfig::default()).unwrap();
    titles
        .iter()
        .enumerate()
        .map(|(i, t)| engine.ingest(&Article::new(i.to_string(), *t)).unwrap())
        .collect()
}

#[test]
fn revisions_in_other_scripts_are_near_duplicates_and_other_stories_are_not() {
    for (script, revised, original, other) in [
        (
            "Swedish",
            "Regeringen föreslår höjd skatt på bensin och diesel",
            "Regeringen föreslår höjd skatt på bensin och diesel – DN.se",
            "Stormen Johannes drar in över Norrland",
        ),
        (
            "Greek",
            "Νέα μέτρα στήριξης για τα νοικοκυριά ανακοίνωσε η κυβέρνηση",
            "ΝΈΑ ΜΈΤΡΑ ΣΤΉΡΙΞΗΣ για τα νοικοκυριά ανακοίνωσε σήμερα η κυβέρνηση",
            "Σεισμός 5 Ρίχτερ στην Κρήτη",
        ),
        (
            "Arabic",
            "الرئيس المصري يستقبل وزير الخارجية الأمريكي في القاهرة",
            "الرئيس المصري يستقبل وزير الخارجية الأمريكي في القاهرة اليوم",
            "ارتفاع أسعار النفط في الأسواق العالمية",
        ),
        (
            "Chinese",
            "中国第一季度国内生产总值同比增长百分之五点三",
            "中国第一季度国内生产总值同比增长百分之五点三，超出预期",
            "台风摩羯登陆海南文昌",
        ),
    ] {
        let v = verdicts(&[revised, original, other]);
        assert_eq!(v[0].status, Status::New, "{script}");
        assert!(
            v[1].status == Status::NearDuplicate || v[1].status == Status::Duplicate,
            "{script}: {:?}",
            v[1]
        );
        assert_eq!(v[1].cluster, v[0].cluster, "{script}");
        assert_eq!(v[2].status, Status::New, "{script}");
    }
}

#[test]
fn case_width_and_accents_fold_to_one_text() {
    let v = verdicts(&[
        "ＣＡＦＥ́ SOCIETY opens in Paris",
        "Café society opens in Paris",
    ]);
    assert_eq!(v[1].status, Status::Duplicate, "{:?}", v[1]);
}
