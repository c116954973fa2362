### Privet-Sicherheitshinweise: Deutsch (Anrede „Sie“). Message-IDs und Platzhalter wie in en.ftl.

## Formatierung

language-name = Deutsch
date = { $day }. { $month ->
        [1] Januar
        [2] Februar
        [3] März
        [4] April
        [5] Mai
        [6] Juni
        [7] Juli
        [8] August
        [9] September
        [10] Oktober
        [11] November
       *[12] Dezember
    } { $year }
list-separator = {", "}

## Betreffzeilen

subject-person-processor = Sicherheitshinweis: Unbefugter Zugriff auf einige Ihrer Daten bei { $processor }
subject-person-own = Sicherheitshinweis: Unbefugter Zugriff auf einige Ihrer Daten bei { $controller }
subject-org-processor = Sicherheitshinweis: Unbefugter Zugriff auf Daten einiger Mitglieder von { $organisation } bei { $processor }
subject-org-own = Sicherheitshinweis: Unbefugter Zugriff auf Daten einiger Mitglieder von { $organisation }
subject-public-processor = Sicherheitshinweis: Unbefugter Zugriff auf Nutzerdaten von { $controller } bei { $processor }
subject-public-own = Sicherheitshinweis: Unbefugter Zugriff auf Nutzerdaten von { $controller }

## Anrede

greeting-named = Guten Tag { $name },
greeting = Guten Tag,

## Was passiert ist

heading-what-happened = Was passiert ist
happened-person-processor = Am { $aware } hat uns { $processor }, ein Dienstleister, den wir für Produktanalysen eingesetzt haben, mitgeteilt, dass sich ein Angreifer Zugang zu seinen Systemen verschafft und einen Datensatz exportiert hat. Dieser Datensatz enthielt einige Daten über Sie, die { $processor } in unserem Auftrag verarbeitet hat.
happened-person-own = Am { $aware } haben wir festgestellt, dass sich ein Angreifer Zugang zu unseren Systemen verschafft und einen Datensatz kopiert hat, der einige Daten über Sie enthielt.
happened-org-processor = Am { $aware } hat uns { $processor }, ein Dienstleister, den wir für Produktanalysen eingesetzt haben, mitgeteilt, dass sich ein Angreifer Zugang zu seinen Systemen verschafft und einen Datensatz exportiert hat. Dieser Datensatz enthielt Daten über { $members ->
        [one] ein Mitglied
       *[other] { $members } Mitglieder
    } von { $organisation }, die { $processor } in unserem Auftrag verarbeitet hat.
happened-org-own = Am { $aware } haben wir festgestellt, dass sich ein Angreifer Zugang zu unseren Systemen verschafft und einen Datensatz kopiert hat. Dieser Datensatz enthielt Daten über { $members ->
        [one] ein Mitglied
       *[other] { $members } Mitglieder
    } von { $organisation }.
happened-public-processor = Am { $aware } hat uns { $processor }, ein Dienstleister, den wir für Produktanalysen eingesetzt haben, mitgeteilt, dass sich ein Angreifer Zugang zu seinen Systemen verschafft und einen Datensatz exportiert hat. Dieser Datensatz enthielt Daten über { $people ->
        [one] eine Person, die { $controller } nutzt.
       *[other] { $people } Personen, die { $controller } nutzen.
    }
happened-public-own = Am { $aware } haben wir festgestellt, dass sich ein Angreifer Zugang zu unseren Systemen verschafft und einen Datensatz kopiert hat. Dieser Datensatz enthielt Daten über { $people ->
        [one] eine Person, die { $controller } nutzt.
       *[other] { $people } Personen, die { $controller } nutzen.
    }
happened-occurred = Der unbefugte Zugriff fand am { $occurred } statt.
org-why = Sie erhalten diese Zusammenfassung, weil Sie { $organisation } bei { $controller } verwalten.
public-why = Wir veröffentlichen diesen Hinweis, weil wir nicht alle Betroffenen persönlich erreichen können. Wenn Sie { $controller } genutzt haben, lesen Sie ihn bitte.

## Was betroffen ist und was nicht

heading-exposed-person = Welche Ihrer Daten betroffen sind
heading-exposed-org = Welche Daten betroffen sind
heading-exposed-public = Welche Daten betroffen sind
exposed-intro-person = Der Datensatz enthielt:
exposed-intro-org = Über diese Mitglieder enthielt der Datensatz:
exposed-intro-public = Wenn Sie ein Konto bei { $controller } hatten, kann der Datensatz Folgendes über Sie enthalten:
sensitive-exposed-person = Einige dieser Daten sind sensibel. Bitte erledigen Sie die ersten Schritte unten noch heute.
sensitive-exposed-org = Einige dieser Daten sind sensibel. Bitte veranlassen Sie die ersten Schritte unten noch heute.
heading-not-exposed = Was nicht betroffen ist
not-exposed-intro = Nicht im Datensatz enthalten waren:

cat-email = Ihre E-Mail-Adresse
cat-name = Ihr Name
cat-phone = Ihre Telefonnummer
cat-user-id = Ihre interne Nutzerkennung (eine Referenznummer in unseren Systemen)
cat-org-id = Die interne Kennung Ihrer Organisation
cat-org-name = Der Name Ihrer Organisation
cat-location = Ihr ungefährer Standort ({ $parts })
cat-ip = Ihre IP-Adresse
cat-os = Ihr Betriebssystem
cat-browser = Ihr Browser
cat-os-browser = Ihr Betriebssystem und Ihr Browser
cat-device = Ihr Gerätetyp (zum Beispiel Smartphone oder Computer)
cat-referrer = Die Website, über die Sie zu uns gekommen sind
cat-locale = Ihre Spracheinstellung
cat-password = Ihr Passwort
cat-api-key = Ihre API-Schlüssel
cat-payment = Ihre Zahlungsdaten
cat-conversation = Ihre Unterhaltungen und Chat-Inhalte

cat-members-email = E-Mail-Adressen
cat-members-name = Namen
cat-members-phone = Telefonnummern
cat-members-user-id = Interne Nutzerkennungen
cat-members-org-id = Die interne Kennung Ihrer Organisation
cat-members-org-name = Der Name Ihrer Organisation
cat-members-location = Ungefähre Standorte ({ $parts })
cat-members-ip = IP-Adressen
cat-members-os = Betriebssysteme
cat-members-browser = Browser
cat-members-os-browser = Betriebssysteme und Browser
cat-members-device = Gerätetypen
cat-members-referrer = Die Websites, über die Mitglieder zu uns gekommen sind
cat-members-locale = Spracheinstellungen
cat-members-password = Passwörter
cat-members-api-key = API-Schlüssel
cat-members-payment = Zahlungsdaten
cat-members-conversation = Unterhaltungen und Chat-Inhalte

loc-city = Stadt
loc-region = Region
loc-country = Land

## Was das bedeuten kann

heading-consequences = Was das für Sie bedeuten kann
heading-consequences-org = Was das für Ihr Team bedeuten kann
consequences-person-targeted = Wer diese Daten hat, kann sie für Phishing nutzen: E-Mails, SMS oder Anrufe, die vorgeben, von { $controller }, von einem anderen Dienst, den Sie nutzen, oder aus Ihrem Kollegenkreis zu kommen. Weil die Absender Angaben wie Ihren Namen, Ihre Stadt und Ihre Organisation kennen können, wirken solche Nachrichten oft glaubwürdig. Meist sollen Sie sich auf einer gefälschten Seite anmelden, ein Passwort oder einen Code verraten oder eine Zahlung leisten.
consequences-person-general = Für sich genommen nützen diese Daten einem Angreifer wenig. Kriminelle nutzen Meldungen über einen Vorfall aber oft für Phishing-Nachrichten, die sich darauf beziehen. Seien Sie daher vorsichtig bei unerwarteten Nachrichten zu diesem Vorfall.
consequences-org-targeted = Mitglieder von { $organisation } können Phishing-Nachrichten erhalten, die vorgeben, von { $controller }, von einem anderen Dienst oder aus dem eigenen Team zu kommen. Weil die Absender Namen, Städte und den Namen von { $organisation } kennen können, wirken solche Nachrichten oft glaubwürdig. Meist sollen die Empfänger sich auf einer gefälschten Seite anmelden, ein Passwort oder einen Code verraten oder eine Zahlung leisten.
consequences-org-general = Für sich genommen nützen diese Daten einem Angreifer wenig. Kriminelle nutzen Meldungen über einen Vorfall aber oft für Phishing-Nachrichten, die sich darauf beziehen. Ihr Team sollte daher bei unerwarteten Nachrichten zu diesem Vorfall vorsichtig sein.
consequences-public-targeted = Wenn Sie ein Konto hatten, können Sie Phishing-Nachrichten erhalten: E-Mails, SMS oder Anrufe, die vorgeben, von { $controller }, von einem anderen Dienst, den Sie nutzen, oder aus Ihrem Kollegenkreis zu kommen. Weil die Absender Angaben wie Ihren Namen, Ihre Stadt und Ihre Organisation kennen können, wirken solche Nachrichten oft glaubwürdig. Meist sollen Sie sich auf einer gefälschten Seite anmelden, ein Passwort oder einen Code verraten oder eine Zahlung leisten.
consequences-public-general = Für sich genommen nützen diese Daten einem Angreifer wenig. Kriminelle nutzen Meldungen über einen Vorfall aber oft für Phishing-Nachrichten, die sich darauf beziehen. Seien Sie daher vorsichtig bei unerwarteten Nachrichten zu diesem Vorfall.

## Was wir unternommen haben

heading-measures = Was wir unternommen haben
measures-empty = Wir untersuchen den Vorfall noch. Wenn wir etwas erfahren, das diesen Hinweis ändert, informieren wir Sie.

## Was zu tun ist

heading-advice-person = Was Sie tun sollten
heading-advice-org = Was Sie Ihrem Team sagen sollten
advice-password = Ändern Sie jetzt Ihr Passwort für { $controller }. Wenn Sie dasselbe Passwort auch anderswo verwenden, ändern Sie es dort ebenfalls.
advice-api-key = Widerrufen Sie Ihre API-Schlüssel für { $controller } und erstellen Sie neue. Tragen Sie die neuen Schlüssel dann überall ein, wo sie verwendet werden.
advice-payment = Prüfen Sie Ihre Konto- und Kartenabrechnungen und melden Sie Ihrer Bank sofort jede Zahlung, die Sie nicht kennen.
advice-conversation = Ihre Unterhaltungen mit uns waren betroffen. Überlegen Sie, was Sie darin geteilt haben; falls Passwörter, Schlüssel oder andere Geheimnisse darunter waren, ändern Sie diese.
advice-check-sender = Prüfen Sie bei jeder Nachricht zu diesem Vorfall den Absender. Wir schreiben nur von { $sender }, und die Absenderadresse muss auf eine unserer unten genannten offiziellen Domains enden. Achten Sie auf ähnlich aussehende Domains mit zusätzlichen oder vertauschten Buchstaben.
advice-no-secrets = Wir fragen Sie niemals nach Ihrem Passwort, Ihren API-Schlüsseln oder einem Einmalcode – weder per E-Mail noch am Telefon oder im Chat. Wer danach fragt, gehört nicht zu uns.
advice-mfa = Schalten Sie die Mehr-Faktor-Authentifizierung (zum Beispiel mit einer Authenticator-App) für Ihr Konto bei { $controller } und für Ihr E-Mail-Konto ein.
advice-urgency = Seien Sie misstrauisch bei Nachrichten, die Sie zu sofortigem Handeln drängen, mit der Sperrung Ihres Kontos drohen oder eine Zahlung verlangen. Nehmen Sie sich Zeit und prüfen Sie nach.
advice-no-links = Diese Nachricht enthält keine Links und keine Anhänge. Wenn eine Nachricht zu diesem Vorfall Sie auffordert, sich über einen Link anzumelden, nutzen Sie ihn nicht: Geben Sie unsere Adresse selbst in Ihren Browser ein.
advice-no-links-public = Unsere Nachrichten zu diesem Vorfall enthalten keine Links und keine Anhänge. Wenn eine Nachricht zu diesem Vorfall Sie auffordert, sich über einen Link anzumelden, nutzen Sie ihn nicht: Geben Sie unsere Adresse selbst in Ihren Browser ein.
advice-members-password = Bitten Sie alle Mitglieder, ihr Passwort für { $controller } zu ändern – und auch überall dort, wo sie dasselbe Passwort verwenden.
advice-members-api-key = Widerrufen Sie alle API-Schlüssel von { $organisation } für { $controller }, erstellen Sie neue und tragen Sie sie in allen Systemen ein, die sie verwenden.
advice-members-payment = Prüfen Sie die Zahlungsvorgänge von { $organisation } und melden Sie Ihrer Bank jede Zahlung, die Sie nicht kennen.
advice-members-conversation = Unterhaltungen Ihrer Mitglieder waren betroffen. Fragen Sie nach, ob darin Passwörter, Schlüssel oder andere Geheimnisse geteilt wurden, und lassen Sie diese ändern.
advice-members-phishing = Warnen Sie Ihr Team vor glaubwürdigen Phishing-Nachrichten, die Namen, Städte oder den Namen von { $organisation } nennen können.
advice-members-no-secrets = Erinnern Sie daran, dass wir niemals per E-Mail, Telefon oder Chat nach Passwörtern, API-Schlüsseln oder Einmalcodes fragen.
advice-members-mfa = Schreiben Sie die Mehr-Faktor-Authentifizierung für alle Mitglieder von { $organisation } bei { $controller } vor und empfehlen Sie sie auch für deren E-Mail-Konten.
advice-members-report = Bitten Sie Ihr Team, verdächtige Nachrichten an Sie oder Ihr Sicherheitsteam zu melden, statt zu antworten oder etwas anzuklicken.

## Woran Sie uns erkennen, und wen Sie fragen können

heading-official-domains = Unsere offiziellen Domains
official-domains-intro = Echte Nachrichten und Websites von { $controller } verwenden nur diese Domains. Eine Domain, die nur ähnlich aussieht, gehört nicht uns:
heading-contact = Fragen und Kontakt
sender-statement = Diese Nachricht kommt ausschließlich von { $sender }. Zu diesem Vorfall schreiben wir Ihnen von keiner anderen Adresse.
sender-statement-public = Unsere Nachrichten zu diesem Vorfall kommen ausschließlich von { $sender }.
dpo-contact = Bei Fragen erreichen Sie unseren Datenschutzbeauftragten unter { $dpo }
complaint = Sie haben außerdem das Recht, sich bei einer Datenschutz-Aufsichtsbehörde zu beschweren, insbesondere in dem Land, in dem Sie leben oder arbeiten.
signoff =
    Mit freundlichen Grüßen
    { $controller }
