### Avis de sécurité Privet : français (vouvoiement). Identifiants et variables identiques à en.ftl.

## Mise en forme

language-name = Français
date = { $day ->
        [1] 1er
       *[other] { $day }
    } { $month ->
        [1] janvier
        [2] février
        [3] mars
        [4] avril
        [5] mai
        [6] juin
        [7] juillet
        [8] août
        [9] septembre
        [10] octobre
        [11] novembre
       *[12] décembre
    } { $year }
list-separator = {", "}

## Objets des messages

subject-person-processor = Avis de sécurité : certaines de vos données ont été exposées chez { $processor }
subject-person-own = Avis de sécurité : certaines de vos données chez { $controller } ont été exposées
subject-org-processor = Avis de sécurité : des données de membres de l’organisation { $organisation } ont été exposées chez { $processor }
subject-org-own = Avis de sécurité : des données de membres de l’organisation { $organisation } ont été exposées
subject-public-processor = Avis de sécurité : des données d’utilisateurs du service { $controller } ont été exposées chez { $processor }
subject-public-own = Avis de sécurité : des données d’utilisateurs du service { $controller } ont été exposées

## Salutation

greeting-named = Bonjour { $name },
greeting = Bonjour,

## Ce qui s’est passé

heading-what-happened = Ce qui s’est passé
happened-person-processor = Le { $aware }, { $processor }, un prestataire que nous utilisions pour l’analyse de produit, nous a informés qu’un attaquant avait accédé à ses systèmes et exporté un ensemble de données. Cet ensemble contenait certaines données vous concernant, traitées par { $processor } pour notre compte.
happened-person-own = Le { $aware }, nous avons découvert qu’un attaquant avait accédé à nos systèmes et copié un ensemble de données contenant certaines données vous concernant.
happened-org-processor = Le { $aware }, { $processor }, un prestataire que nous utilisions pour l’analyse de produit, nous a informés qu’un attaquant avait accédé à ses systèmes et exporté un ensemble de données. Cet ensemble contenait des données concernant { $members ->
        [one] un membre
       *[other] { $members } membres
    } de l’organisation { $organisation }, traitées par { $processor } pour notre compte.
happened-org-own = Le { $aware }, nous avons découvert qu’un attaquant avait accédé à nos systèmes et copié un ensemble de données. Cet ensemble contenait des données concernant { $members ->
        [one] un membre
       *[other] { $members } membres
    } de l’organisation { $organisation }.
happened-public-processor = Le { $aware }, { $processor }, un prestataire que nous utilisions pour l’analyse de produit, nous a informés qu’un attaquant avait accédé à ses systèmes et exporté un ensemble de données. Cet ensemble contenait des données concernant { $people ->
        [one] une personne qui utilise
       *[other] { $people } personnes qui utilisent
    } le service { $controller }.
happened-public-own = Le { $aware }, nous avons découvert qu’un attaquant avait accédé à nos systèmes et copié un ensemble de données. Cet ensemble contenait des données concernant { $people ->
        [one] une personne qui utilise
       *[other] { $people } personnes qui utilisent
    } le service { $controller }.
happened-occurred = L’accès non autorisé a eu lieu le { $occurred }.
org-why = Vous recevez ce résumé parce que vous administrez l’organisation { $organisation } sur { $controller }.
public-why = Nous publions cet avis parce que nous ne pouvons pas joindre personnellement toutes les personnes concernées. Si vous avez utilisé { $controller }, merci de le lire.

## Ce qui a été exposé, et ce qui ne l’a pas été

heading-exposed-person = Quelles données vous concernant ont été exposées
heading-exposed-org = Quelles données ont été exposées
heading-exposed-public = Quelles données ont été exposées
exposed-intro-person = L’ensemble de données exposé contenait :
exposed-intro-org = Pour ces membres, l’ensemble de données exposé contenait :
exposed-intro-public = Si vous aviez un compte sur { $controller }, l’ensemble de données exposé peut contenir les informations suivantes vous concernant :
sensitive-exposed-person = Certaines de ces données sont sensibles. Merci d’effectuer dès aujourd’hui les premières étapes indiquées ci-dessous.
sensitive-exposed-org = Certaines de ces données sont sensibles. Merci de lancer dès aujourd’hui les premières étapes indiquées ci-dessous.
heading-not-exposed = Ce qui n’a pas été exposé
not-exposed-intro = L’ensemble de données exposé ne contenait pas :

cat-email = Votre adresse e-mail
cat-name = Votre nom
cat-phone = Votre numéro de téléphone
cat-user-id = Votre identifiant utilisateur interne (un numéro de référence dans nos systèmes)
cat-org-id = L’identifiant interne de votre organisation
cat-org-name = Le nom de votre organisation
cat-location = Votre localisation approximative ({ $parts })
cat-ip = Votre adresse IP
cat-os = Votre système d’exploitation
cat-browser = Votre navigateur
cat-os-browser = Votre système d’exploitation et votre navigateur
cat-device = Votre type d’appareil (par exemple téléphone ou ordinateur)
cat-referrer = Le site web qui vous a dirigé vers nous
cat-locale = Votre paramètre de langue
cat-password = Votre mot de passe
cat-api-key = Vos clés d’API
cat-payment = Vos données de paiement
cat-conversation = Vos conversations et le contenu de vos échanges par chat

cat-members-email = Adresses e-mail
cat-members-name = Noms
cat-members-phone = Numéros de téléphone
cat-members-user-id = Identifiants utilisateur internes
cat-members-org-id = L’identifiant interne de votre organisation
cat-members-org-name = Le nom de votre organisation
cat-members-location = Localisations approximatives ({ $parts })
cat-members-ip = Adresses IP
cat-members-os = Systèmes d’exploitation
cat-members-browser = Navigateurs
cat-members-os-browser = Systèmes d’exploitation et navigateurs
cat-members-device = Types d’appareil
cat-members-referrer = Les sites web qui ont dirigé les membres vers nous
cat-members-locale = Paramètres de langue
cat-members-password = Mots de passe
cat-members-api-key = Clés d’API
cat-members-payment = Données de paiement
cat-members-conversation = Conversations et contenu des échanges par chat

loc-city = ville
loc-region = région
loc-country = pays

## Ce que cela peut signifier

heading-consequences = Ce que cela peut signifier pour vous
heading-consequences-org = Ce que cela peut signifier pour votre équipe
consequences-person-targeted = Les personnes qui détiennent ces données peuvent s’en servir pour vous envoyer des messages d’hameçonnage (phishing) : e-mails, SMS ou appels qui se font passer pour { $controller }, pour un autre service que vous utilisez ou pour un collègue. Comme elles peuvent connaître des informations telles que votre nom, votre ville et votre organisation, ces messages peuvent paraître crédibles. Ils cherchent généralement à vous faire vous connecter sur une fausse page, communiquer un mot de passe ou un code, ou effectuer un paiement.
consequences-person-general = Prises isolément, ces données sont peu utiles à un attaquant. Les escrocs profitent toutefois souvent de l’annonce d’une fuite pour envoyer des messages d’hameçonnage qui y font référence : méfiez-vous donc des messages inattendus concernant cet incident.
consequences-org-targeted = Les membres de l’organisation { $organisation } peuvent recevoir des messages d’hameçonnage (phishing) qui se font passer pour { $controller }, pour un autre service ou pour un membre de leur équipe. Comme les expéditeurs peuvent connaître leur nom, leur ville et le nom de l’organisation { $organisation }, ces messages peuvent paraître crédibles. Ils cherchent généralement à faire se connecter la personne sur une fausse page, à obtenir un mot de passe ou un code, ou à obtenir un paiement.
consequences-org-general = Prises isolément, ces données sont peu utiles à un attaquant. Les escrocs profitent toutefois souvent de l’annonce d’une fuite pour envoyer des messages d’hameçonnage qui y font référence : votre équipe doit donc se méfier des messages inattendus concernant cet incident.
consequences-public-targeted = Si vous aviez un compte, vous pourriez recevoir des messages d’hameçonnage (phishing) : e-mails, SMS ou appels qui se font passer pour { $controller }, pour un autre service que vous utilisez ou pour un collègue. Comme les expéditeurs peuvent connaître des informations telles que votre nom, votre ville et votre organisation, ces messages peuvent paraître crédibles. Ils cherchent généralement à vous faire vous connecter sur une fausse page, communiquer un mot de passe ou un code, ou effectuer un paiement.
consequences-public-general = Prises isolément, ces données sont peu utiles à un attaquant. Les escrocs profitent toutefois souvent de l’annonce d’une fuite pour envoyer des messages d’hameçonnage qui y font référence : méfiez-vous donc des messages inattendus concernant cet incident.

## Ce que nous avons fait

heading-measures = Ce que nous avons fait
measures-empty = Notre enquête se poursuit. Si nous apprenons quelque chose qui modifie cet avis, nous vous en informerons.

## Que faire

heading-advice-person = Ce que vous devriez faire
heading-advice-org = Ce qu’il faut dire à votre équipe
advice-password = Changez dès maintenant votre mot de passe pour { $controller }. Si vous utilisez le même mot de passe ailleurs, changez-le aussi.
advice-api-key = Révoquez vos clés d’API pour { $controller } et créez-en de nouvelles. Mettez-les ensuite à jour partout où elles sont utilisées.
advice-payment = Vérifiez vos relevés bancaires et de carte, et signalez immédiatement à votre banque tout paiement que vous ne reconnaissez pas.
advice-conversation = Vos conversations avec nous ont été exposées. Pensez à ce que vous y avez partagé ; si elles contenaient des mots de passe, des clés ou d’autres secrets, changez-les.
advice-check-sender = Vérifiez l’expéditeur de tout message concernant cet incident. Nous écrivons uniquement depuis { $sender }, et l’adresse de l’expéditeur doit se terminer par l’un de nos domaines officiels indiqués ci-dessous. Méfiez-vous des domaines ressemblants, avec des lettres ajoutées ou inversées.
advice-no-secrets = Nous ne vous demanderons jamais votre mot de passe, vos clés d’API ou un code à usage unique, ni par e-mail, ni par téléphone, ni par chat. Quiconque vous les demande n’est pas nous.
advice-mfa = Activez l’authentification multifacteur (par exemple avec une application d’authentification) pour votre compte { $controller } et pour votre compte e-mail.
advice-urgency = Méfiez-vous des messages qui vous pressent d’agir immédiatement, menacent de fermer votre compte ou demandent un paiement. Prenez le temps de vérifier.
advice-no-links = Ce message ne contient aucun lien ni aucune pièce jointe. Si un message concernant cet incident vous demande de vous connecter via un lien, ne l’utilisez pas : saisissez vous-même notre adresse dans votre navigateur.
advice-no-links-public = Nos messages concernant cet incident ne contiennent aucun lien ni aucune pièce jointe. Si un message concernant cet incident vous demande de vous connecter via un lien, ne l’utilisez pas : saisissez vous-même notre adresse dans votre navigateur.
advice-members-password = Demandez à tous les membres de changer leur mot de passe pour { $controller }, ainsi que partout où ils utilisent le même mot de passe.
advice-members-api-key = Révoquez toutes les clés d’API de l’organisation { $organisation } pour { $controller }, créez-en de nouvelles et mettez à jour tous les systèmes qui les utilisent.
advice-members-payment = Vérifiez les paiements de l’organisation { $organisation } et signalez à votre banque tout paiement que vous ne reconnaissez pas.
advice-members-conversation = Des conversations de vos membres ont été exposées. Demandez-leur s’ils y ont partagé des mots de passe, des clés ou d’autres secrets, et faites-les changer.
advice-members-phishing = Prévenez votre équipe qu’elle peut recevoir des messages d’hameçonnage crédibles mentionnant le nom ou la ville de chacun, ou le nom de l’organisation { $organisation }.
advice-members-no-secrets = Rappelez-leur que nous ne demanderons jamais de mot de passe, de clé d’API ni de code à usage unique par e-mail, téléphone ou chat.
advice-members-mfa = Rendez l’authentification multifacteur obligatoire pour tous les membres de l’organisation { $organisation } sur { $controller }, et recommandez-la aussi pour leurs comptes e-mail.
advice-members-report = Demandez-leur de vous signaler tout message suspect, à vous ou à votre équipe de sécurité, plutôt que d’y répondre ou de cliquer.

## Nous reconnaître, et à qui poser vos questions

heading-official-domains = Nos domaines officiels
official-domains-intro = Les messages et sites web authentiques de { $controller } utilisent uniquement ces domaines. Un domaine qui leur ressemble seulement n’est pas le nôtre :
heading-contact = Questions et contact
sender-statement = Ce message provient uniquement de { $sender }. Nous ne vous écrirons au sujet de cet incident depuis aucune autre adresse.
sender-statement-public = Nos messages concernant cet incident proviennent uniquement de { $sender }.
dpo-contact = Pour toute question, contactez notre délégué à la protection des données : { $dpo }
complaint = Vous avez également le droit d’introduire une réclamation auprès d’une autorité de contrôle de la protection des données, notamment dans le pays où vous vivez ou travaillez.
signoff =
    Cordialement,
    { $controller }
