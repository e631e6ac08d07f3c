//! The names annotations and `generation.json` use for what was done to a
//! profile (variations) and for the groups of look-alike people (hard
//! negatives).

macro_rules! kinds {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$variant_meta:meta])* $variant:ident => $text:literal,)*
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $($(#[$variant_meta])* $variant,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
        }
    };
}

kinds! {
    /// What a profile shows. Channels are recorded too: recall on pairs
    /// involving a store profile is a question worth asking.
    pub enum Variation {
        ChannelStore => "channel_store",
        ChannelOnline => "channel_online",
        ChannelApp => "channel_app",
        ChannelPaperForm => "channel_paper_form",
        ChannelCrmImport => "channel_crm_import",
        StorePhoneAndFirstNameOnly => "store_phone_and_first_name_only",
        JoinedCopy => "joined_copy",
        PhoneSubstitution => "phone_substitution",
        PhoneTransposition => "phone_transposition",
        PhonePairSwap => "phone_pair_swap",
        PhoneTwoTyposOfOneNumber => "phone_two_typos_of_one_number",
        PhoneOldNumber => "phone_old_number",
        PhoneSecondNumber => "phone_second_number",
        PhoneLandline => "phone_landline",
        PhoneNonCanonicalFormat => "phone_non_canonical_format",
        PhoneWithheld => "phone_withheld",
        EmailDomainTypo => "email_domain_typo",
        EmailLoginTypo => "email_login_typo",
        EmailGmailDots => "email_gmail_dots",
        EmailGooglemail => "email_googlemail",
        EmailPlusTag => "email_plus_tag",
        EmailYandexAlias => "email_yandex_alias",
        EmailOtherMailbox => "email_other_mailbox",
        EmailWorkAddress => "email_work_address",
        EmailMixedCase => "email_mixed_case",
        EmailWithheld => "email_withheld",
        FirstNameDiminutive => "first_name_diminutive",
        FirstNameSpelling => "first_name_spelling_variant",
        TranslitIcao => "translit_icao",
        TranslitOldPassport => "translit_old_passport",
        TranslitGostB => "translit_gost_b",
        TranslitInformal => "translit_informal",
        KeyboardLayout => "keyboard_layout",
        YoE => "yo_e",
        FirstNameTypo => "first_name_typo",
        LastNameTypo => "last_name_typo",
        MiddleNameTypo => "middle_name_typo",
        NameCase => "name_case",
        NameSpacing => "name_spacing",
        SwappedFirstLast => "swapped_first_last",
        FullNameInOneField => "full_name_in_one_field",
        FieldsShifted => "fields_shifted",
        Initials => "initials",
        MaidenSurname => "maiden_surname",
        DoubleBarrelledSurname => "double_barrelled_surname",
        NoName => "no_name",
        PlaceholderName => "placeholder_name",
        BirthDateTypo => "birth_date_typo",
        BirthDateDayMonthSwap => "birth_date_day_month_swap",
        BirthDateYearOnly => "birth_date_year_only",
        BirthDatePlaceholder => "birth_date_placeholder",
        BirthDateIsRegisterDate => "birth_date_is_register_date",
        BirthDateMissing => "birth_date_missing",
        SexWrong => "sex_wrong",
        SexMissing => "sex_missing",
    }
}

kinds! {
    /// Groups of different people who look alike.
    pub enum HardNegative {
        Spouses => "spouses",
        ParentChild => "parent_child",
        FatherSonSameName => "father_son_same_name",
        Siblings => "siblings",
        Twins => "twins",
        Namesakes => "namesakes",
        NamesakesSameBirthDate => "namesakes_same_birth_date",
        SequentialFamilyPhones => "sequential_family_phones",
        CorporatePhoneBlock => "corporate_phone_block",
        RecycledPhone => "recycled_phone",
        LoginReusedElsewhere => "login_reused_elsewhere",
        FamilyEmailInitial => "family_email_initial",
        /// `eval` pools every placeholder profile into one set of
        /// look-alikes, by this exact name.
        Placeholder => "placeholder",
    }
}

impl Variation {
    /// Whether the variation is about the person's names, birth date or
    /// sex, which a copy of the profile repeats, rather than about its
    /// channel or identifiers.
    pub fn describes_person(self) -> bool {
        let name = self.name();
        !["channel_", "phone_", "email_", "store_", "joined_"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
    }
}

/// A set of variations, one bit each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Variations(u64);

impl Variations {
    pub fn add(&mut self, variation: Variation) {
        self.0 |= 1 << variation as u32;
    }

    pub fn contains(self, variation: Variation) -> bool {
        self.0 & (1 << variation as u32) != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Variation> {
        Variation::ALL
            .iter()
            .copied()
            .filter(move |&v| self.contains(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variation_fits_the_bit_set_and_names_are_unique() {
        assert!(Variation::ALL.len() <= 64);
        let mut names: Vec<&str> = Variation::ALL.iter().map(|v| v.name()).collect();
        names.extend(HardNegative::ALL.iter().map(|k| k.name()));
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
        for name in names {
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
        }
    }

    #[test]
    fn variations_set_remembers_what_was_added() {
        let mut set = Variations::default();
        set.add(Variation::SexWrong);
        set.add(Variation::ChannelStore);
        set.add(Variation::SexWrong);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Variation::ChannelStore, Variation::SexWrong]
        );
        assert!(!set.contains(Variation::YoE));
    }
}
