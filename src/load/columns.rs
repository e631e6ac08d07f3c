//! Which export column holds which canonical field.
//!
//! Headers are recognised without any flag, by a key that ignores case,
//! spaces, punctuation and ё/е: the API's names (`user_id`, `phone`, ...),
//! the Russian headers of the Sailplay admin panel (`ID клиента`,
//! `Телефон`, ...) and their obvious variants. `--map field=column`
//! overrides recognition for a field. A full-name column (`ФИО`, or
//! `--map full_name=COLUMN`) feeds whichever of the three name fields has
//! no column of its own (see `full_name`). Invariants: a canonical field
//! comes from at most one column, a column feeds at most one field (the
//! full name feeds up to three, and only those), and every column that
//! feeds no field is carried through as a custom column.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::profile::{Field, SOURCE, SOURCE_ROW};

use super::error::LoadError;
use super::full_name::NameOrder;

/// The `--map` key of a full-name column: not a field of the frame, but
/// the source of the name fields that have no column of their own.
pub const FULL_NAME: &str = "full_name";

/// Recognised full-name headers (as [`header_key`] leaves them) and the
/// order of the parts each promises.
const FULL_NAME_ALIASES: &[(&str, NameOrder)] = &[
    ("фио", NameOrder::LastFirstMiddle),
    ("фиоклиента", NameOrder::LastFirstMiddle),
    ("фиопокупателя", NameOrder::LastFirstMiddle),
    ("фиодержателякарты", NameOrder::LastFirstMiddle),
    ("фиовладельца", NameOrder::LastFirstMiddle),
    ("клиентфио", NameOrder::LastFirstMiddle),
    ("фамилияимяотчество", NameOrder::LastFirstMiddle),
    ("фамилияимя", NameOrder::LastFirstMiddle),
    ("полноеимя", NameOrder::LastFirstMiddle),
    ("fullname", NameOrder::LastFirstMiddle),
    ("fio", NameOrder::LastFirstMiddle),
    ("customername", NameOrder::LastFirstMiddle),
    ("clientname", NameOrder::LastFirstMiddle),
    ("имяфамилия", NameOrder::FirstMiddleLast),
    ("имяотчествофамилия", NameOrder::FirstMiddleLast),
];

/// The name fields a full-name column can feed.
const NAME_FIELDS: [Field; 3] = [Field::LastName, Field::FirstName, Field::MiddleName];

/// Recognised header spellings per canonical field, written as
/// [`header_key`] leaves them (lowercase, ё→е, letters and digits only).
const ALIASES: &[(Field, &[&str])] = &[
    (
        Field::UserId,
        &[
            "userid",
            "sailplayid",
            "idклиента",
            "idпользователя",
            "клиентid",
            "idsailplay",
        ],
    ),
    (
        Field::OriginUserId,
        &[
            "originuserid",
            "originid",
            "externalid",
            "внешнийid",
            "внешнийидентификатор",
            "idвовнешнейсистеме",
            "внешнийidклиента",
        ],
    ),
    (
        Field::Phone,
        &[
            "phone",
            "userphone",
            "phonenumber",
            "mobile",
            "mobilephone",
            "телефон",
            "номертелефона",
            "мобильныйтелефон",
            "мобтелефон",
            "тел",
            "телефонклиента",
            "мобильный",
        ],
    ),
    (
        Field::Email,
        &[
            "email",
            "useremail",
            "mail",
            "почта",
            "электроннаяпочта",
            "элпочта",
            "емейл",
            "емэйл",
            "имейл",
            "адресэлектроннойпочты",
            "emailклиента",
        ],
    ),
    (Field::FirstName, &["firstname", "имя", "givenname"]),
    (Field::MiddleName, &["middlename", "patronymic", "отчество"]),
    (
        Field::LastName,
        &["lastname", "surname", "familyname", "фамилия"],
    ),
    (
        Field::BirthDate,
        &[
            "birthdate",
            "birthday",
            "dateofbirth",
            "датарождения",
            "деньрождения",
            "датарожд",
            "др",
        ],
    ),
    (Field::Sex, &["sex", "gender", "пол"]),
    (
        Field::RegisterDate,
        &[
            "registerdate",
            "registrationdate",
            "registered",
            "датарегистрации",
            "датарег",
            "зарегистрирован",
        ],
    ),
    (
        Field::Points,
        &[
            "points",
            "balance",
            "bonuspoints",
            "баллы",
            "бонусы",
            "баланс",
            "балансбаллов",
            "количествобаллов",
            "бонусныебаллы",
        ],
    ),
];

/// Spellings taken for a field only when no column has one of its
/// [`ALIASES`]: a bare `ID` is the Sailplay id in most exports, but not
/// when `user_id` is also there.
const WEAK_ALIASES: &[(Field, &[&str])] = &[(Field::UserId, &["id"])];

/// Frame columns `load` adds itself; an export column of the same name is
/// carried as a custom column under another name.
const RESERVED: [&str; 2] = [SOURCE, SOURCE_ROW];

/// The comparison key of a header: lowercase, ё→е, letters and digits only.
pub fn header_key(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect()
}

/// The canonical field a header names, if it is a recognised spelling.
pub fn recognise_header(header: &str) -> Option<Field> {
    let key = header_key(header);
    ALIASES
        .iter()
        .find(|(_, spellings)| spellings.contains(&key.as_str()))
        .map(|(field, _)| *field)
}

fn recognise_weak_header(header: &str) -> Option<Field> {
    let key = header_key(header);
    WEAK_ALIASES
        .iter()
        .find(|(_, spellings)| spellings.contains(&key.as_str()))
        .map(|(field, _)| *field)
}

/// Checks `--map` before any file is read: every key must be a canonical
/// field, and no column may be mapped twice.
pub fn validate_map(map: &BTreeMap<String, String>) -> Result<(), LoadError> {
    for field in map.keys() {
        if Field::from_name(field).is_none() && field != FULL_NAME {
            return Err(LoadError::UnknownField {
                field: field.clone(),
                known: known_fields(),
            });
        }
    }
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (field, column) in map {
        if let Some(other) = seen.insert(column.as_str(), field.as_str()) {
            return Err(LoadError::ColumnMappedTwice {
                column: column.clone(),
                first: other.to_string(),
                second: field.clone(),
            });
        }
    }
    Ok(())
}

/// The fields `--map` accepts, for messages.
fn known_fields() -> String {
    format!("{}, {FULL_NAME}", Field::NAMES.join(", "))
}

/// The order of the parts a full-name header promises, if it is one.
fn recognise_full_name_header(header: &str) -> Option<NameOrder> {
    let key = header_key(header);
    FULL_NAME_ALIASES
        .iter()
        .find(|(spelling, _)| *spelling == key)
        .map(|(_, order)| *order)
}

/// A full-name column and the name fields it feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FullNameColumn {
    pub index: usize,
    pub order: NameOrder,
    /// Per [`NAME_FIELDS`] slot (last, first, middle): fed by this column.
    pub feeds: [bool; 3],
}

impl FullNameColumn {
    /// Whether this column feeds the canonical field `field`.
    pub fn feeds_field(&self, field: Field) -> bool {
        NAME_FIELDS
            .iter()
            .zip(self.feeds)
            .any(|(name_field, fed)| fed && *name_field == field)
    }
}

/// How one file's columns feed the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedColumns {
    /// Column names as the frame will carry them: trimmed headers, a name
    /// for an empty header, reserved names suffixed.
    pub names: Vec<String>,
    /// For each canonical field (in `Field::ALL` order), the index
    /// of the column that holds it.
    pub canonical: [Option<usize>; Field::ALL.len()],
    /// Indexes of the custom columns, in file order.
    pub extras: Vec<usize>,
    /// The full-name column, when one feeds a name field.
    pub full_name: Option<FullNameColumn>,
}

impl ResolvedColumns {
    /// `header → field` for every canonical field found, for messages and
    /// the load summary.
    pub fn recognised(&self) -> BTreeMap<String, String> {
        Field::ALL
            .iter()
            .zip(self.canonical)
            .filter_map(|(field, index)| index.map(|i| (field.to_string(), self.names[i].clone())))
            .chain(
                self.full_name
                    .map(|full_name| (FULL_NAME.to_string(), self.names[full_name.index].clone())),
            )
            .collect()
    }
}

/// Resolves the columns of one file from its raw header cells.
pub fn resolve_columns(
    path: &str,
    headers: &[String],
    map: &BTreeMap<String, String>,
) -> Result<ResolvedColumns, LoadError> {
    let names = column_names(path, headers)?;
    let mut canonical: [Option<usize>; Field::ALL.len()] = [None; Field::ALL.len()];
    let mut taken = vec![false; names.len()];

    let mut full_name: Option<(usize, NameOrder)> = None;
    for (field, wanted) in map {
        let index =
            find_mapped_column(&names, wanted).ok_or_else(|| LoadError::MappedColumnMissing {
                path: path.to_string(),
                field: field.clone(),
                column: wanted.clone(),
                columns: quoted_list(&names),
            })?;
        if field == FULL_NAME {
            let order =
                recognise_full_name_header(&names[index]).unwrap_or(NameOrder::LastFirstMiddle);
            full_name = Some((index, order));
            taken[index] = true;
            continue;
        }
        let slot = field_index(field).ok_or_else(|| LoadError::UnknownField {
            field: field.clone(),
            known: known_fields(),
        })?;
        canonical[slot] = Some(index);
        taken[index] = true;
    }

    for recogniser in [recognise_header, recognise_weak_header] {
        let mut candidates: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (index, name) in names.iter().enumerate() {
            if taken[index] {
                continue;
            }
            if let Some(slot) = recogniser(name).map(Field::index)
                && canonical[slot].is_none()
            {
                candidates.entry(slot).or_default().push(index);
            }
        }
        for (slot, indexes) in candidates {
            if indexes.len() > 1 {
                return Err(LoadError::AmbiguousColumns {
                    path: path.to_string(),
                    field: Field::ALL[slot].name().to_string(),
                    columns: quoted_list(indexes.iter().map(|&i| &names[i])),
                });
            }
            canonical[slot] = Some(indexes[0]);
            taken[indexes[0]] = true;
        }
    }

    let full_name = resolve_full_name(path, &names, &mut taken, &canonical, full_name)?;

    if canonical[Field::UserId.index()].is_none() {
        return Err(LoadError::MissingUserId {
            path: path.to_string(),
            columns: quoted_list(&names),
        });
    }
    let identifiers = [Field::OriginUserId, Field::Phone, Field::Email];
    if identifiers
        .iter()
        .all(|field| canonical[field.index()].is_none())
    {
        return Err(LoadError::NoIdentifier {
            path: path.to_string(),
            columns: quoted_list(&names),
        });
    }

    let extras: Vec<usize> = (0..names.len()).filter(|&i| !taken[i]).collect();
    let mut names = names;
    // Names are distinct here (`column_names`), so only a custom column
    // named like a canonical field (`phone` when `--map phone=` chose
    // another column) must be renamed, to a name no other column has. A set
    // keeps this linear: a million-column export must not take hours.
    let mut used: HashSet<String> = names.iter().cloned().collect();
    for &index in &extras {
        if Field::from_name(&names[index]).is_none() {
            continue;
        }
        let mut renamed = format!("{}_original", names[index]);
        while Field::from_name(&renamed).is_some() || used.contains(&renamed) {
            renamed.push_str("_original");
        }
        used.insert(renamed.clone());
        names[index] = renamed;
    }
    Ok(ResolvedColumns {
        names,
        canonical,
        extras,
        full_name,
    })
}

/// The full-name column: the one `--map full_name=` named, else the one
/// column with a full-name header; it feeds the name fields no column
/// holds. A recognised full-name column with nothing to feed stays a
/// custom column.
fn resolve_full_name(
    path: &str,
    names: &[String],
    taken: &mut [bool],
    canonical: &[Option<usize>; Field::ALL.len()],
    mapped: Option<(usize, NameOrder)>,
) -> Result<Option<FullNameColumn>, LoadError> {
    let feeds = NAME_FIELDS.map(|field| canonical[field.index()].is_none());
    let chosen = match mapped {
        Some(mapped) => Some(mapped),
        None if feeds.iter().any(|fed| *fed) => {
            let candidates: Vec<(usize, NameOrder)> = names
                .iter()
                .enumerate()
                .filter(|(index, _)| !taken[*index])
                .filter_map(|(index, name)| {
                    recognise_full_name_header(name).map(|order| (index, order))
                })
                .collect();
            if candidates.len() > 1 {
                return Err(LoadError::AmbiguousColumns {
                    path: path.to_string(),
                    field: FULL_NAME.to_string(),
                    columns: quoted_list(candidates.iter().map(|&(index, _)| &names[index])),
                });
            }
            candidates.first().copied()
        }
        None => None,
    };
    Ok(chosen.map(|(index, order)| {
        taken[index] = true;
        FullNameColumn {
            index,
            order,
            feeds,
        }
    }))
}

/// The slot of a field `--map` names; `None` for an unknown name.
fn field_index(field: &str) -> Option<usize> {
    Field::from_name(field).map(Field::index)
}

/// Trimmed header names; an empty header becomes `column_N`, a name `load`
/// reserves gets an `_original` suffix; exact duplicates are an error
/// (which of the two columns would a field come from?).
fn column_names(path: &str, headers: &[String]) -> Result<Vec<String>, LoadError> {
    let mut names = Vec::with_capacity(headers.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, header) in headers.iter().enumerate() {
        let trimmed = header.trim().trim_start_matches('\u{feff}').trim();
        let name = if trimmed.is_empty() {
            format!("column_{}", index + 1)
        } else if RESERVED.contains(&trimmed) {
            format!("{trimmed}_original")
        } else {
            trimmed.to_string()
        };
        if let Some(first) = seen.insert(name.clone(), index) {
            return Err(LoadError::DuplicateHeader {
                path: path.to_string(),
                name,
                first: first + 1,
                second: index + 1,
            });
        }
        names.push(name);
    }
    Ok(names)
}

/// The column a `--map` value names: the exact trimmed header, else the one
/// header with the same [`header_key`].
fn find_mapped_column(names: &[String], wanted: &str) -> Option<usize> {
    let wanted = wanted.trim();
    if let Some(index) = names.iter().position(|name| name == wanted) {
        return Some(index);
    }
    let key = header_key(wanted);
    let mut matches = names
        .iter()
        .enumerate()
        .filter(|(_, name)| header_key(name) == key);
    match (matches.next(), matches.next()) {
        (Some((index, _)), None) if !key.is_empty() => Some(index),
        _ => None,
    }
}

fn quoted_list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    items
        .into_iter()
        .map(|item| format!("\"{}\"", item.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn field_of(resolved: &ResolvedColumns, field: Field) -> Option<String> {
        resolved.canonical[field.index()].map(|i| resolved.names[i].clone())
    }

    #[test]
    fn api_names_are_recognised() {
        for field in Field::ALL {
            assert_eq!(recognise_header(field.name()), Some(field), "{field}");
        }
        assert_eq!(recognise_header("user_phone"), Some(Field::Phone));
        assert_eq!(recognise_header("  User ID "), Some(Field::UserId));
        assert_eq!(recognise_header("E-mail"), Some(Field::Email));
        assert_eq!(recognise_header("EMAIL"), Some(Field::Email));
    }

    #[test]
    fn russian_admin_headers_are_recognised() {
        for (header, field) in [
            ("ID клиента", Field::UserId),
            ("Внешний ID", Field::OriginUserId),
            ("Телефон", Field::Phone),
            ("Номер телефона", Field::Phone),
            ("Email", Field::Email),
            ("Почта", Field::Email),
            ("Эл. почта", Field::Email),
            ("Имя", Field::FirstName),
            ("Отчество", Field::MiddleName),
            ("Фамилия", Field::LastName),
            ("Дата рождения", Field::BirthDate),
            ("Пол", Field::Sex),
            ("Дата регистрации", Field::RegisterDate),
            ("Дата рег.", Field::RegisterDate),
            ("Баллы", Field::Points),
            ("БАЛЛЫ", Field::Points),
        ] {
            assert_eq!(recognise_header(header), Some(field), "{header}");
        }
    }

    #[test]
    fn yo_and_ye_are_the_same_letter() {
        assert_eq!(header_key("Ёмейл"), "емейл");
        assert_eq!(recognise_header("Ёмейл"), Some(Field::Email));
    }

    #[test]
    fn unknown_headers_are_not_recognised() {
        for header in ["Уровень карты", "name", "city", ""] {
            assert_eq!(recognise_header(header), None, "{header}");
        }
    }

    #[test]
    fn resolves_fields_and_keeps_the_rest_as_custom_columns() {
        let resolved = resolve_columns(
            "x.csv",
            &headers(&[" ID клиента ", "Телефон", "Город", "", "source"]),
            &BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(
            field_of(&resolved, Field::UserId).as_deref(),
            Some("ID клиента")
        );
        assert_eq!(
            field_of(&resolved, Field::Phone).as_deref(),
            Some("Телефон")
        );
        assert_eq!(field_of(&resolved, Field::Email), None);
        let extras: Vec<&str> = resolved
            .extras
            .iter()
            .map(|&i| resolved.names[i].as_str())
            .collect();
        assert_eq!(extras, ["Город", "column_4", "source_original"]);
    }

    #[test]
    fn bare_id_is_the_user_id_only_when_nothing_stronger_is_there() {
        let alone = resolve_columns("x", &headers(&["ID", "phone"]), &BTreeMap::new()).unwrap();
        assert_eq!(field_of(&alone, Field::UserId).as_deref(), Some("ID"));
        let both =
            resolve_columns("x", &headers(&["ID", "user_id", "phone"]), &BTreeMap::new()).unwrap();
        assert_eq!(field_of(&both, Field::UserId).as_deref(), Some("user_id"));
        assert_eq!(both.extras, [0]);
    }

    #[test]
    fn map_overrides_recognition() {
        let map = BTreeMap::from([
            ("phone".to_string(), "Мобильный 2".to_string()),
            ("user_id".to_string(), "клиент".to_string()),
        ]);
        let resolved =
            resolve_columns("x", &headers(&["Клиент", "Телефон", "Мобильный 2"]), &map).unwrap();
        assert_eq!(
            field_of(&resolved, Field::Phone).as_deref(),
            Some("Мобильный 2")
        );
        assert_eq!(
            field_of(&resolved, Field::UserId).as_deref(),
            Some("Клиент")
        );
        assert_eq!(resolved.extras, [1]);
    }

    #[test]
    fn a_custom_column_named_like_a_field_is_renamed() {
        let map = BTreeMap::from([("phone".to_string(), "Мобильный".to_string())]);
        let resolved = resolve_columns(
            "x",
            &headers(&["user_id", "phone", "Мобильный", "phone_original"]),
            &map,
        )
        .unwrap();
        assert_eq!(
            field_of(&resolved, Field::Phone).as_deref(),
            Some("Мобильный")
        );
        let extras: Vec<&str> = resolved
            .extras
            .iter()
            .map(|&i| resolved.names[i].as_str())
            .collect();
        assert_eq!(extras, ["phone_original_original", "phone_original"]);
    }

    #[test]
    fn unknown_field_in_map_lists_the_canonical_fields() {
        let map = BTreeMap::from([("telephone".to_string(), "Тел".to_string())]);
        let message = validate_map(&map).unwrap_err().to_string();
        assert!(message.contains("\"telephone\""), "{message}");
        assert!(
            message.contains("user_id, origin_user_id, phone") && message.contains("full_name"),
            "{message}"
        );
    }

    #[test]
    fn a_full_name_header_feeds_the_name_fields_without_columns() {
        let resolved = resolve_columns(
            "x",
            &headers(&["ID клиента", "Ф.И.О.", "Телефон", "Имя"]),
            &BTreeMap::new(),
        )
        .unwrap();
        let full_name = resolved.full_name.unwrap();
        assert_eq!(resolved.names[full_name.index], "Ф.И.О.");
        assert!(full_name.feeds_field(Field::LastName) && full_name.feeds_field(Field::MiddleName));
        assert!(
            !full_name.feeds_field(Field::FirstName),
            "Имя has its own column"
        );
        assert_eq!(full_name.order, NameOrder::LastFirstMiddle);
        assert!(resolved.extras.is_empty());
        assert_eq!(resolved.recognised()["full_name"], "Ф.И.О.");
    }

    #[test]
    fn a_full_name_column_with_nothing_to_feed_stays_custom() {
        let resolved = resolve_columns(
            "x",
            &headers(&["user_id", "phone", "Фамилия", "Имя", "Отчество", "ФИО"]),
            &BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(resolved.full_name, None);
        assert_eq!(resolved.extras, [5]);
    }

    #[test]
    fn map_full_name_takes_any_column_and_its_order() {
        let map = BTreeMap::from([("full_name".to_string(), "Покупатель".to_string())]);
        validate_map(&map).unwrap();
        let resolved =
            resolve_columns("x", &headers(&["user_id", "phone", "Покупатель"]), &map).unwrap();
        assert_eq!(resolved.full_name.map(|f| f.index), Some(2));
        let resolved = resolve_columns(
            "x",
            &headers(&["user_id", "phone", "Имя Фамилия"]),
            &BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(
            resolved.full_name.map(|f| f.order),
            Some(NameOrder::FirstMiddleLast)
        );
    }

    #[test]
    fn one_column_mapped_to_two_fields_is_refused() {
        let map = BTreeMap::from([
            ("phone".to_string(), "X".to_string()),
            ("email".to_string(), "X".to_string()),
        ]);
        let message = validate_map(&map).unwrap_err().to_string();
        assert!(message.contains("\"X\""), "{message}");
    }

    #[test]
    fn missing_mapped_column_lists_the_columns() {
        let map = BTreeMap::from([("phone".to_string(), "Мобильный".to_string())]);
        let message = resolve_columns("a.csv", &headers(&["user_id", "Телефон"]), &map)
            .unwrap_err()
            .to_string();
        assert!(message.contains("a.csv"), "{message}");
        assert!(message.contains("\"Мобильный\""), "{message}");
        assert!(message.contains("\"user_id\", \"Телефон\""), "{message}");
    }

    #[test]
    fn missing_user_id_and_missing_identifier_are_explained() {
        let message = resolve_columns("a.csv", &headers(&["phone", "Имя"]), &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(message.contains("user_id"), "{message}");
        assert!(message.contains("--map user_id="), "{message}");
        let message = resolve_columns("a.csv", &headers(&["user_id", "Имя"]), &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("phone, email or origin_user_id"),
            "{message}"
        );
    }

    #[test]
    fn two_columns_for_one_field_is_ambiguous() {
        let message = resolve_columns(
            "a.csv",
            &headers(&["user_id", "phone", "Телефон"]),
            &BTreeMap::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(message.contains("\"phone\", \"Телефон\""), "{message}");
        assert!(message.contains("--map phone="), "{message}");
    }

    #[test]
    fn duplicate_headers_name_both_positions() {
        let message = resolve_columns(
            "a.csv",
            &headers(&["user_id", "phone", "phone"]),
            &BTreeMap::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(message.contains("columns 2 and 3"), "{message}");
    }
}
