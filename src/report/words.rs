//! The report's words in English and Russian: the page's own text (its
//! template and its script), chosen by the plan's `language`. Values from
//! the export and the plan's warning messages are shown as they are.
//! `{name}` marks a value the page fills in.

use std::collections::BTreeMap;

pub use crate::plan::Language;

/// `(key, English, Russian)`.
const WORDS: &[(&str, &str, &str)] = &[
    ("review", "review", "проверка"),
    ("plan", "plan", "план"),
    ("reviewer", "Reviewer", "Проверяющий"),
    ("your_name", "your name", "ваше имя"),
    (
        "download",
        "Download decisions.json",
        "Скачать decisions.json",
    ),
    ("import", "Import decisions…", "Загрузить решения…"),
    ("title", "Merge plan review", "Проверка плана объединения"),
    (
        "lede",
        "Nothing has been merged yet. Each cluster below is a group of profiles the plan would merge into one. A merge in Sailplay cannot be undone: approve a cluster only when its profiles are one person and the merged profile is right; reject it otherwise. `sailmerge apply` runs only approved clusters.",
        "Ничего ещё не объединено. Каждая группа ниже — профили, которые план объединит в один. Объединение в Sailplay нельзя отменить: одобряйте группу, только если это один человек и итоговый профиль верен, иначе отклоняйте. `sailmerge apply` выполняет только одобренные группы.",
    ),
    (
        "keys",
        "Keys: j / k next and previous card, a approve, r reject, u undo, / search. A cluster's id links to it alone.",
        "Клавиши: j / k — следующая и предыдущая карточка, a — одобрить, r — отклонить, u — отменить, / — поиск. Номер группы — ссылка на неё одну.",
    ),
    (
        "tab_planned",
        "Planned merges",
        "Запланированные объединения",
    ),
    (
        "tab_band",
        "Candidates (review band)",
        "Кандидаты (зона проверки)",
    ),
    (
        "search",
        "Search name, phone, e-mail or id",
        "Поиск по имени, телефону, e-mail или номеру",
    ),
    ("filter_decision", "Filter by decision", "Фильтр по решению"),
    ("needs_decision", "Needs a decision", "Ждут решения"),
    ("any_decision", "Any decision", "Любое решение"),
    ("approved", "Approved", "Одобрено"),
    ("rejected", "Rejected", "Отклонено"),
    ("undecided", "Undecided", "Без решения"),
    ("approved_lower", "approved", "одобрено"),
    ("rejected_lower", "rejected", "отклонено"),
    ("undecided_lower", "undecided", "без решения"),
    ("filter_risk", "Filter by risk", "Фильтр по риску"),
    ("any_risk", "Any risk", "Любой риск"),
    ("risk_high", "High risk", "Высокий риск"),
    ("risk_medium", "Medium risk", "Средний риск"),
    ("risk_low", "Low risk", "Низкий риск"),
    (
        "risk_title",
        "Risk score {score} of 100",
        "Оценка риска {score} из 100",
    ),
    (
        "filter_status",
        "Filter by what is new",
        "Фильтр по новизне",
    ),
    ("any_status", "New and earlier", "Новые и прежние"),
    (
        "status_fresh",
        "New or changed since the previous plan",
        "Новые или изменившиеся с прошлого плана",
    ),
    ("status_new", "New", "Новая"),
    ("status_changed", "Changed", "Изменилась"),
    ("status_carried_over", "Carried over", "Без изменений"),
    (
        "filter_warning",
        "Filter by warning",
        "Фильтр по предупреждению",
    ),
    ("any_warning", "All clusters", "Все группы"),
    ("with_lost", "With lost values", "С теряемыми значениями"),
    (
        "with_warning",
        "With any warning",
        "С любым предупреждением",
    ),
    ("sort", "Sort", "Порядок"),
    ("sort_risk", "Riskiest first", "Сначала рискованные"),
    ("sort_margin", "Weakest link first", "Сначала слабые связи"),
    ("sort_size", "Largest first", "Сначала крупные"),
    ("sort_lost", "Most lost values first", "Сначала с потерями"),
    ("sort_id", "By cluster id", "По номеру группы"),
    ("page_size", "Cards per page", "Карточек на странице"),
    (
        "bulk_approve_button",
        "Approve all filtered",
        "Одобрить все отобранные",
    ),
    (
        "bulk_reject_button",
        "Reject all filtered",
        "Отклонить все отобранные",
    ),
    (
        "bulk_clear_button",
        "Clear filtered",
        "Сбросить решения отобранных",
    ),
    ("show_all", "Show all clusters", "Показать все группы"),
    ("confirm", "Confirm", "Подтвердить"),
    ("cancel", "Cancel", "Отмена"),
    ("pages", "Pages", "Страницы"),
    ("previous", "Previous", "Назад"),
    ("next", "Next", "Вперёд"),
    (
        "noscript",
        "The cluster cards need JavaScript. The summary above and plan.json are readable without it.",
        "Карточкам групп нужен JavaScript. Сводка выше и plan.json читаются и без него.",
    ),
    (
        "details_summary",
        "Plan details: charts, data quality, blocking, model, settings",
        "Подробности плана: графики, качество данных, блокировка, модель, настройки",
    ),
    ("chart_sizes", "Cluster sizes", "Размеры групп"),
    (
        "chart_sizes_legend",
        "4 or more profiles: check closely",
        "4 профиля и больше: проверяйте внимательно",
    ),
    (
        "chart_scores",
        "Match weight of scored pairs around the threshold",
        "Вес совпадения оценённых пар около порога",
    ),
    (
        "chart_scores_legend",
        "above the threshold: linked",
        "выше порога: связаны",
    ),
    ("assumptions", "Merge assumptions", "Допущения объединения"),
    (
        "assumptions_lede",
        "Where Sailplay's documentation is silent, the plan assumes:",
        "Где документация Sailplay молчит, план исходит из следующего:",
    ),
    ("none_stated", "None stated.", "Не указаны."),
    ("field", "Field", "Поле"),
    ("rule", "Rule", "Правило"),
    ("meaning", "Meaning", "Значение"),
    ("warnings", "Warnings", "Предупреждения"),
    (
        "no_warnings",
        "No cluster carries a warning.",
        "Ни у одной группы нет предупреждений.",
    ),
    (
        "not_reported",
        "Not reported by this plan.",
        "В этом плане нет данных.",
    ),
    ("none", "None", "Нет"),
    ("inputs", "Inputs", "Входные файлы"),
    ("file", "File", "Файл"),
    ("rows", "Rows", "Строк"),
    (
        "settings",
        "Settings the plan was made with",
        "Настройки, с которыми сделан план",
    ),
    (
        "loading",
        "Loading the rest of the report…",
        "Загрузка остальной части отчёта…",
    ),
    (
        "nothing_found",
        "No duplicates were found: there is nothing to review.",
        "Дубликаты не найдены: проверять нечего.",
    ),
    (
        "no_match",
        "No cluster matches the search and filters.",
        "Ни одна группа не подходит под поиск и фильтры.",
    ),
    (
        "no_such_cluster",
        "There is no cluster {id} in this plan.",
        "В этом плане нет группы {id}.",
    ),
    (
        "showing",
        "Showing {range} of {total} (of {all} in this section)",
        "Показано {range} из {total} (всего в разделе {all})",
    ),
    (
        "page_of",
        "Page {page} of {pages}",
        "Страница {page} из {pages}",
    ),
    ("no_name", "No name", "Без имени"),
    (
        "link_title",
        "Link to this cluster alone",
        "Ссылка только на эту группу",
    ),
    ("candidate_badge", "candidate", "кандидат"),
    ("profiles_one", "{n} profile", "{n} профиль"),
    ("profiles_many", "{n} profiles", "профилей: {n}"),
    ("weakest", "weakest link", "слабейшая связь"),
    (
        "weakest_title",
        "Match probability of the weakest linking pair; threshold {threshold}",
        "Вероятность совпадения самой слабой пары; порог {threshold}",
    ),
    ("approve", "Approve", "Одобрить"),
    ("reject", "Reject", "Отклонить"),
    ("undo", "Undo", "Отменить"),
    ("key_approve", "Approve (a)", "Одобрить (a)"),
    ("key_reject", "Reject (r)", "Отклонить (r)"),
    ("key_undo", "Undo (u)", "Отменить (u)"),
    ("why_check", "Why check it:", "Почему проверить:"),
    (
        "profiles_side_by_side",
        "Profiles side by side",
        "Профили рядом",
    ),
    ("survivor", "Survivor", "Остаётся"),
    ("survivor_tag", "survivor", "остаётся"),
    (
        "chosen_by_planner",
        "chosen by the planner",
        "выбран планировщиком",
    ),
    (
        "planned_calls",
        "Planned calls, in order",
        "Запланированные вызовы по порядку",
    ),
    (
        "calls_if_approved",
        "Calls the next plan makes if approved",
        "Вызовы, которые сделает следующий план, если одобрить",
    ),
    (
        "lost_and_warnings",
        "Lost values and warnings",
        "Теряемые значения и предупреждения",
    ),
    ("why_linked", "Why they were linked", "Почему они связаны"),
    (
        "previous_decided",
        "In the previous plan ({id}): {decision} by {reviewer} at {at}",
        "В прошлом плане ({id}): {decision}, {reviewer}, {at}",
    ),
    (
        "previous_undecided",
        "In the previous plan ({id}): left undecided",
        "В прошлом плане ({id}): без решения",
    ),
    (
        "kept_apart",
        "{member} is kept apart from {other}: {reviewer} rejected {id} at {at}",
        "{member} не объединяется с {other}: {reviewer} отклонил(а) {id} {at}",
    ),
    (
        "applied_survivor",
        "{member} already absorbed the profiles of cluster {id} in an earlier apply",
        "{member} уже вобрал профили группы {id} при прошлом применении",
    ),
    (
        "applied_merged",
        "{member} was already merged into {survivor} (cluster {id}): this export is older than that apply",
        "{member} уже объединён с {survivor} (группа {id}): эта выгрузка старше того применения",
    ),
    ("after_merges", "After the merges", "После объединения"),
    ("preferred", "Preferred", "Лучше"),
    (
        "preferred_title",
        "A better value a member holds, which no merge order keeps",
        "Лучшее значение одного из профилей, которое не сохраняет ни один порядок объединения",
    ),
    (
        "golden_note",
        "The merges keep a worse value than a member holds (marked under Preferred). With [planner] updates = true in the config, the plan adds a users/update after the merges that sets it.",
        "Объединение сохраняет значение хуже, чем есть у одного из профилей (колонка «Лучше»). С [planner] updates = true в настройках план добавит после объединения вызов users/update, который его установит.",
    ),
    (
        "value_lost",
        "This value will be lost",
        "Это значение будет потеряно",
    ),
    (
        "no_evidence",
        "The plan carries no pair evidence for this cluster.",
        "В плане нет сведений о парах этой группы.",
    ),
    (
        "more_pairs_one",
        "{n} more linking pair",
        "ещё связующих пар: {n}",
    ),
    (
        "more_pairs_many",
        "{n} more linking pairs",
        "ещё связующих пар: {n}",
    ),
    ("bits", "bits", "бит"),
    ("prior", "Prior", "Априорно"),
    ("base_rate", "base rate", "базовая доля"),
    ("total", "Total", "Итого"),
    ("show_bits", "The weights, in bits", "Веса в битах"),
    ("comparison", "Comparison", "Сравнение"),
    ("level", "Level", "Уровень"),
    ("weight", "Weight", "Вес"),
    ("found_by", "found by", "найдено правилом"),
    ("no_rule", "no rule recorded", "правило не записано"),
    ("address_uid", "profile", "профиль"),
    ("address_phone", "phone", "телефон"),
    ("address_email", "e-mail", "e-mail"),
    ("address_oid", "origin id", "внешний id"),
    (
        "merge_into",
        "merge {from} into {to}",
        "объединить {from} в {to}",
    ),
    ("update_fields", "update {fields}", "обновить {fields}"),
    (
        "simulated",
        "Simulated profile after each step",
        "Профиль после каждого шага",
    ),
    ("before", "Before", "До"),
    ("after_step", "After step {n}", "После шага {n}"),
    ("lost_code", "lost", "потеря"),
    (
        "lost_value",
        "Step {step}: {field} \"{value}\" of profile {user} will be lost.",
        "Шаг {step}: {field} «{value}» профиля {user} будет потеряно.",
    ),
    (
        "lost_value_kept",
        "Step {step}: {field} \"{value}\" of profile {user} will be lost; the merged profile keeps \"{kept}\".",
        "Шаг {step}: {field} «{value}» профиля {user} будет потеряно; останется «{kept}».",
    ),
    (
        "decided_by",
        "{decision} by {reviewer} at {at}",
        "{decision}: {reviewer}, {at}",
    ),
    (
        "carried_from",
        "(carried from {id} of the previous plan)",
        "(перенесено из {id} прошлого плана)",
    ),
    ("saving", "Saving…", "Сохранение…"),
    (
        "conflict",
        "Not saved: {message}. The page now shows the decisions that stand.",
        "Не сохранено: {message}. На странице теперь действующие решения.",
    ),
    (
        "not_saved",
        "Not saved ({message}); retrying — keep this tab open",
        "Не сохранено ({message}); повтор — не закрывайте вкладку",
    ),
    (
        "saved_at",
        "Saved to decisions.json at {time}",
        "Сохранено в decisions.json в {time}",
    ),
    (
        "kept_in_browser",
        "Kept in this browser — download decisions.json when done",
        "Хранится в этом браузере — скачайте decisions.json по окончании",
    ),
    (
        "cannot_keep",
        "This browser cannot keep the decisions ({error}): download decisions.json now",
        "Браузер не может сохранить решения ({error}): скачайте decisions.json сейчас",
    ),
    (
        "enter_name",
        "Enter your name as reviewer first",
        "Сначала введите своё имя",
    ),
    ("not_json", "{file} is not JSON", "{file} — не JSON"),
    (
        "not_decisions",
        "{file} is not a decisions.json file",
        "{file} — не файл decisions.json",
    ),
    (
        "other_plan",
        "{file} was made on another plan; not imported",
        "{file} сделан для другого плана; не загружен",
    ),
    (
        "bulk_approve",
        "Approve all {n} clusters matching the current search and filters?",
        "Одобрить все группы, подходящие под поиск и фильтры ({n})?",
    ),
    (
        "bulk_reject",
        "Reject all {n} clusters matching the current search and filters?",
        "Отклонить все группы, подходящие под поиск и фильтры ({n})?",
    ),
    (
        "bulk_clear",
        "Clear the decisions of all {n} clusters matching the current search and filters?",
        "Сбросить решения всех групп, подходящих под поиск и фильтры ({n})?",
    ),
    ("bulk_every_page", "(on every page)", "(на всех страницах)"),
    ("bulk_confirm_approve", "Approve {n}", "Одобрить {n}"),
    ("bulk_confirm_reject", "Reject {n}", "Отклонить {n}"),
    ("bulk_confirm_clear", "Clear {n}", "Сбросить {n}"),
    (
        "server_other_plan",
        "The server has another plan loaded; decisions stay in this browser",
        "На сервере другой план; решения остаются в браузере",
    ),
    (
        "reviewer_from_server",
        "Set with sailmerge review --reviewer",
        "Задаётся через sailmerge review --reviewer",
    ),
    (
        "connected",
        "Connected: decisions are saved to decisions.json as you click",
        "Подключено: решения сохраняются в decisions.json при каждом нажатии",
    ),
    (
        "restored",
        "Restored {n} decisions kept in this browser",
        "Восстановлено решений из браузера: {n}",
    ),
    ("sex_male", "male", "мужской"),
    ("sex_female", "female", "женский"),
    ("sex_other", "other", "другой"),
    ("field_user_id", "User ID", "User ID"),
    ("field_origin_user_id", "Origin ID", "Внешний ID"),
    ("field_phone", "Phone", "Телефон"),
    ("field_email", "E-mail", "E-mail"),
    ("field_first_name", "First name", "Имя"),
    ("field_middle_name", "Patronymic", "Отчество"),
    ("field_last_name", "Last name", "Фамилия"),
    ("field_patronymic", "Patronymic", "Отчество"),
    ("field_birth_date", "Birth date", "Дата рождения"),
    ("field_sex", "Sex", "Пол"),
    ("field_register_date", "Registered", "Регистрация"),
    ("field_points", "Points", "Баллы"),
    (
        "field_login_birth_year",
        "Birth year in login",
        "Год рождения в логине",
    ),
    ("field_channels", "Contact channels", "Каналы связи"),
    // Summary, filled in by the report module.
    ("kpi_profiles", "Profiles read", "Прочитано профилей"),
    ("kpi_files_one", "1 input file", "1 входной файл"),
    ("kpi_files_many", "{n} input files", "входных файлов: {n}"),
    ("kpi_clusters", "Clusters to merge", "Групп к объединению"),
    (
        "kpi_clusters_note",
        "{n} profiles, {share}",
        "профилей: {n}, {share}",
    ),
    ("kpi_share", "{p}% of all", "{p}% от всех"),
    ("kpi_calls", "Calls planned", "Запланировано вызовов"),
    (
        "kpi_calls_note",
        "{merges} merges, {updates} updates",
        "объединений: {merges}, обновлений: {updates}",
    ),
    ("kpi_lost", "Clusters losing values", "Групп с потерями"),
    (
        "kpi_lost_note",
        "a phone, e-mail or name no profile keeps",
        "телефон, e-mail или имя, которое не сохранится",
    ),
    (
        "kpi_warnings",
        "Clusters with warnings",
        "Групп с предупреждениями",
    ),
    (
        "kpi_warnings_note",
        "filter by warning below",
        "фильтр по предупреждению ниже",
    ),
    ("kpi_high", "High risk", "Высокий риск"),
    (
        "kpi_high_note",
        "{medium} medium, {low} low",
        "средний: {medium}, низкий: {low}",
    ),
    ("kpi_band", "Candidates to decide", "Кандидатов на решение"),
    (
        "kpi_band_note",
        "pairs with p from {low} to {high}",
        "пары с p от {low} до {high}",
    ),
    (
        "history_line",
        "Against the previous plan {hash}: {new} new, {changed} changed, {carried} carried over; {approvals} approvals carried forward with their reviewer; {apart} pairs kept apart by earlier rejections.",
        "По сравнению с прошлым планом {hash}: новых {new}, изменившихся {changed}, без изменений {carried}; перенесено одобрений с их авторами: {approvals}; пар, разведённых прежними отказами: {apart}.",
    ),
    (
        "merged_away_line",
        "{n} profiles an earlier apply merged away are still in this export: it is older than that apply.",
        "Профилей, уже объединённых прошлым применением, но всё ещё в выгрузке: {n} — выгрузка старше применения.",
    ),
    (
        "golden_line",
        "{n} clusters keep a worse value than a member holds (golden_unreachable); [planner] updates = true adds the users/update that sets it.",
        "Групп, где сохраняется значение хуже, чем у одного из профилей (golden_unreachable): {n}; [planner] updates = true добавит вызов users/update, который его установит.",
    ),
    (
        "band_note",
        "Pairs with a match probability from {low} up to the threshold {high} do not link, but most are one person. Each candidate below is a cluster they would form. Approve one to have the next plan (sailmerge plan … --previous) make its merges; reject one to keep its profiles apart. `approve --all` and `--risk` never approve candidates, and apply never runs them.",
        "Пары с вероятностью совпадения от {low} до порога {high} не связываются, но чаще всего это один человек. Каждый кандидат ниже — группа, которую они образовали бы. Одобрите кандидата, и следующий план (sailmerge plan … --previous) запланирует его объединения; отклоните — и его профили не будут объединяться. `approve --all` и `--risk` кандидатов не одобряют, apply их не выполняет.",
    ),
    ("section_data_quality", "Data quality", "Качество данных"),
    ("section_blocking", "Blocking", "Блокировка"),
    ("section_clustering", "Clustering", "Кластеризация"),
    ("section_review_band", "Review band", "Зона проверки"),
    ("section_model", "Match model", "Модель совпадений"),
    (
        "page_title",
        "sailmerge review — {n} clusters — plan {hash}",
        "sailmerge: проверка — групп: {n} — план {hash}",
    ),
];

/// The page's words in one language.
#[derive(Debug, Clone, Copy)]
pub struct Words(pub Language);

impl Words {
    pub fn get(&self, key: &str) -> &'static str {
        WORDS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, en, ru)| match self.0 {
                Language::En => *en,
                Language::Ru => *ru,
            })
            .unwrap_or_else(|| panic!("no report word {key:?}"))
    }

    /// `get(key)` with each `{name}` replaced by its value.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_string();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// Every word, for the page's script.
    pub fn all(&self) -> BTreeMap<&'static str, &'static str> {
        WORDS
            .iter()
            .map(|(key, en, ru)| {
                (
                    *key,
                    match self.0 {
                        Language::En => *en,
                        Language::Ru => *ru,
                    },
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_filled_in_both_languages() {
        let mut keys = std::collections::BTreeSet::new();
        for (key, en, ru) in WORDS {
            assert!(keys.insert(key), "{key} twice");
            assert!(!en.is_empty() && !ru.is_empty(), "{key}");
            // The same placeholders in both.
            let names = |text: &str| {
                let mut names: Vec<String> = text
                    .split('{')
                    .skip(1)
                    .filter_map(|part| part.split_once('}').map(|(name, _)| name.to_string()))
                    .collect();
                names.sort();
                names
            };
            assert_eq!(names(en), names(ru), "{key}");
        }
    }

    #[test]
    fn the_script_and_the_template_use_only_known_words() {
        let known: std::collections::BTreeSet<&str> = WORDS.iter().map(|(k, _, _)| *k).collect();
        let script = include_str!("../../templates/report.js");
        for part in script.split("T('").skip(1) {
            let (key, after) = part.split_once('\'').unwrap();
            // `T('risk_' + level)`: some word must start so.
            let found = if after.starts_with(" +") {
                known.iter().any(|k| k.starts_with(key))
            } else {
                known.contains(key)
            };
            assert!(found, "report.js uses {key:?}");
        }
        let template = include_str!("../../templates/report.html");
        for part in template.split("w.get(\"").skip(1) {
            let key = part.split('"').next().unwrap();
            assert!(known.contains(key), "report.html uses {key:?}");
        }
    }

    #[test]
    fn fill_replaces_names() {
        let words = Words(Language::Ru);
        assert_eq!(
            words.fill("page_of", &[("page", "2"), ("pages", "7")]),
            "Страница 2 из 7"
        );
        assert_eq!(Language::of_code("ru"), Language::Ru);
        assert_eq!(Language::of_code(""), Language::En);
    }
}
