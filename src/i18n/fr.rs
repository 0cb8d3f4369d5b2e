//! French strings.

use super::Catalog;

/// The French catalog.
pub static CATALOG: Catalog = Catalog {
    loading: "Chargement de l’article…",
    published: "Publié le",
    updated: "Mis à jour le",
    source: "Source",
    by: "Par",
    retry: "Réessayer",
    reload: "Recharger la page",
    latest: "Dernières nouvelles",
    more: "Plus d’articles",
    no_items: "Aucun article à afficher pour le moment.",
    error_not_found: "Cet article est introuvable. Il a peut-être été déplacé ou supprimé.",
    error_network:
        "Impossible de joindre le serveur d’actualités. Vérifiez votre connexion puis réessayez.",
    error_timeout:
        "Le serveur d’actualités met trop de temps à répondre. Réessayez dans un instant.",
    error_server: "Le serveur d’actualités a rencontré un problème. Réessayez dans un instant.",
    error_bad_response: "Le serveur d’actualités a envoyé des données impossibles à afficher.",
    error_config: "Les réglages d’intégration de ce widget sont absents ou erronés.",
    error_crash: "Une erreur inattendue s’est produite lors de l’affichage de l’article.",
};
