//! The collection pages' words in Spanish and English. Field, choice and
//! collection labels come from `enlace_shared::schema`; this table holds the
//! rest, in the same shape as [`crate::i18n`].

use enlace_shared::model::Language;

pub fn is_spanish(language: Language) -> bool {
    language == Language::Spanish
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    Collections,
    Search,
    SearchPlaceholder,
    AllValues,
    SortBy,
    SortTitle,
    SortNewest,
    SortOldest,
    ShowDeleted,
    NewRecord,
    Create,
    Cancel,
    Results,
    ShowMore,
    NoRecords,
    Delete,
    Restore,
    DeletedNotice,
    Example,
    BackToList,
    Related,
    NothingRelated,
    PreviousStep,
    NextStep,
    Pause,
    Resume,
    Add,
    Remove,
    NoneChosen,
    Done,
    Due,
    AddCommitment,
    CommitmentText,
    Secretariat,
    FillRequired,
    NotFound,
    Pipeline,
}

pub fn words(language: Language, key: Words) -> &'static str {
    let (spanish, english) = match key {
        Words::Collections => ("Colecciones", "Collections"),
        Words::Search => ("Buscar", "Search"),
        Words::SearchPlaceholder => ("Buscar en todos los campos…", "Search every field…"),
        Words::AllValues => ("Todos", "All"),
        Words::SortBy => ("Ordenar por", "Sort by"),
        Words::SortTitle => ("Nombre", "Name"),
        Words::SortNewest => ("Fecha, reciente primero", "Date, newest first"),
        Words::SortOldest => ("Fecha, antigua primero", "Date, oldest first"),
        Words::ShowDeleted => ("Mostrar eliminados", "Show deleted"),
        Words::NewRecord => ("Nuevo registro", "New record"),
        Words::Create => ("Crear", "Create"),
        Words::Cancel => ("Cancelar", "Cancel"),
        Words::Results => ("resultados", "results"),
        Words::ShowMore => ("Mostrar más", "Show more"),
        Words::NoRecords => ("Ningún registro coincide.", "No record matches."),
        Words::Delete => ("Eliminar", "Delete"),
        Words::Restore => ("Restaurar", "Restore"),
        Words::DeletedNotice => (
            "Este registro está eliminado; las referencias a él se muestran tachadas.",
            "This record is deleted; references to it are shown struck through.",
        ),
        Words::Example => ("Ejemplo", "Example"),
        Words::BackToList => ("Volver a la lista", "Back to the list"),
        Words::Related => (
            "Relacionado con esta organización",
            "Related to this organisation",
        ),
        Words::NothingRelated => ("Nada todavía.", "Nothing yet."),
        Words::PreviousStep => ("Paso anterior", "Previous step"),
        Words::NextStep => ("Paso siguiente", "Next step"),
        Words::Pause => ("Pausar", "Pause"),
        Words::Resume => ("Reanudar", "Resume"),
        Words::Add => ("Agregar", "Add"),
        Words::Remove => ("Quitar", "Remove"),
        Words::NoneChosen => ("— ninguna —", "— none —"),
        Words::Done => ("Hecho", "Done"),
        Words::Due => ("Vence", "Due"),
        Words::AddCommitment => ("Agregar compromiso", "Add commitment"),
        Words::CommitmentText => ("Compromiso", "Commitment"),
        Words::Secretariat => ("Secretaría técnica", "Technical secretariat"),
        Words::FillRequired => (
            "Completa los campos obligatorios.",
            "Fill in the required fields.",
        ),
        Words::NotFound => ("Este registro no existe.", "This record does not exist."),
        Words::Pipeline => ("Etapa de la alianza", "Alliance stage"),
    };
    if is_spanish(language) { spanish } else { english }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_differ_where_they_should() {
        assert_eq!(words(Language::Spanish, Words::Delete), "Eliminar");
        assert_eq!(words(Language::English, Words::Delete), "Delete");
    }
}
