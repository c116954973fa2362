### Privet drošības paziņojumi: latviešu valoda (uzruna „Jūs“). Identifikatori un mainīgie kā en.ftl.
### Datums ($aware, $occurred) jau ir lokatīvā („2025. gada 9. novembrī“), jo teikumos tas nozīmē „kad“.
### Skaitļus ($members, $people) rādām kā „… skaits: N“, lai nebūtu jālocī lietvārdi.

## Formatēšana

language-name = Latviešu
date = { $year }. gada { $day }. { $month ->
        [1] janvārī
        [2] februārī
        [3] martā
        [4] aprīlī
        [5] maijā
        [6] jūnijā
        [7] jūlijā
        [8] augustā
        [9] septembrī
        [10] oktobrī
        [11] novembrī
       *[12] decembrī
    }
list-separator = {", "}

## Temati

subject-person-processor = Drošības paziņojums: skarta daļa Jūsu datu pakalpojumā { $processor }
subject-person-own = Drošības paziņojums: skarta daļa Jūsu datu pakalpojumā { $controller }
subject-org-processor = Drošības paziņojums: skarti dažu organizācijas { $organisation } dalībnieku dati pakalpojumā { $processor }
subject-org-own = Drošības paziņojums: skarti dažu organizācijas { $organisation } dalībnieku dati
subject-public-processor = Drošības paziņojums: skarti { $controller } lietotāju dati pakalpojumā { $processor }
subject-public-own = Drošības paziņojums: skarti { $controller } lietotāju dati

## Uzruna (vārdu neliekam, jo uzrunā tas būtu jālieto vokatīvā)

greeting-named = Labdien!
greeting = Labdien!

## Kas notika

heading-what-happened = Kas notika
happened-person-processor = { $aware } { $processor }, pakalpojumu sniedzējs, ko izmantojām produkta analītikai, mūs informēja, ka uzbrucējs ir ieguvis piekļuvi tā sistēmām un eksportējis datu kopu. Šajā datu kopā bija daļa Jūsu datu, ko { $processor } apstrādāja mūsu uzdevumā.
happened-person-own = { $aware } mēs atklājām, ka uzbrucējs ir ieguvis piekļuvi mūsu sistēmām un nokopējis datu kopu, kurā bija daļa Jūsu datu.
happened-org-processor = { $aware } { $processor }, pakalpojumu sniedzējs, ko izmantojām produkta analītikai, mūs informēja, ka uzbrucējs ir ieguvis piekļuvi tā sistēmām un eksportējis datu kopu. Šajā datu kopā bija dati par organizācijas { $organisation } dalībniekiem, ko { $processor } apstrādāja mūsu uzdevumā. Skarto dalībnieku skaits: { $members }.
happened-org-own = { $aware } mēs atklājām, ka uzbrucējs ir ieguvis piekļuvi mūsu sistēmām un nokopējis datu kopu, kurā bija dati par organizācijas { $organisation } dalībniekiem. Skarto dalībnieku skaits: { $members }.
happened-public-processor = { $aware } { $processor }, pakalpojumu sniedzējs, ko izmantojām produkta analītikai, mūs informēja, ka uzbrucējs ir ieguvis piekļuvi tā sistēmām un eksportējis datu kopu. Šajā datu kopā bija dati par pakalpojuma { $controller } lietotājiem, ko { $processor } apstrādāja mūsu uzdevumā. Skarto personu skaits: { $people }.
happened-public-own = { $aware } mēs atklājām, ka uzbrucējs ir ieguvis piekļuvi mūsu sistēmām un nokopējis datu kopu, kurā bija dati par pakalpojuma { $controller } lietotājiem. Skarto personu skaits: { $people }.
happened-occurred = Nesankcionētā piekļuve notika { $occurred }.
org-why = Jūs saņemat šo kopsavilkumu, jo pārvaldāt organizācijas { $organisation } kontu pakalpojumā { $controller }.
public-why = Mēs publicējam šo paziņojumu, jo nevaram personīgi sazināties ar visiem skartajiem. Ja Jums ir vai ir bijis konts pakalpojumā { $controller }, lūdzu, izlasiet to.

## Kas tika skarts un kas ne

heading-exposed-person = Kuri Jūsu dati ir skarti
heading-exposed-org = Kuri dati ir skarti
heading-exposed-public = Kuri dati ir skarti
exposed-intro-person = Skartajā datu kopā bija:
exposed-intro-org = Par šiem dalībniekiem skartajā datu kopā bija:
exposed-intro-public = Ja Jums bija konts pakalpojumā { $controller }, skartajā datu kopā par Jums var būt:
sensitive-exposed-person = Daļa šo datu ir sensitīva. Lūdzu, vēl šodien izpildiet pirmos zemāk minētos soļus.
sensitive-exposed-org = Daļa šo datu ir sensitīva. Lūdzu, vēl šodien sāciet pirmos zemāk minētos soļus.
heading-not-exposed = Kas netika skarts
not-exposed-intro = Šie dati netika skarti:

cat-email = Jūsu e-pasta adrese
cat-name = Jūsu vārds un uzvārds
cat-phone = Jūsu tālruņa numurs
cat-user-id = Jūsu iekšējais lietotāja ID (atsauces numurs mūsu sistēmās)
cat-org-id = Jūsu organizācijas iekšējais ID
cat-org-name = Jūsu organizācijas nosaukums
cat-location = Jūsu aptuvenā atrašanās vieta ({ $parts })
cat-ip = Jūsu IP adrese
cat-os = Jūsu operētājsistēma
cat-browser = Jūsu pārlūkprogramma
cat-os-browser = Jūsu operētājsistēma un pārlūkprogramma
cat-device = Jūsu ierīces veids (piemēram, tālrunis vai dators)
cat-referrer = Tīmekļa vietne, no kuras nonācāt pie mums
cat-locale = Jūsu valodas iestatījums
cat-password = Jūsu parole
cat-api-key = Jūsu API atslēgas
cat-payment = Jūsu maksājumu dati
cat-conversation = Jūsu sarunas un tērzēšanas saturs

cat-members-email = E-pasta adreses
cat-members-name = Vārdi un uzvārdi
cat-members-phone = Tālruņu numuri
cat-members-user-id = Iekšējie lietotāju ID
cat-members-org-id = Jūsu organizācijas iekšējais ID
cat-members-org-name = Jūsu organizācijas nosaukums
cat-members-location = Aptuvenās atrašanās vietas ({ $parts })
cat-members-ip = IP adreses
cat-members-os = Operētājsistēmas
cat-members-browser = Pārlūkprogrammas
cat-members-os-browser = Operētājsistēmas un pārlūkprogrammas
cat-members-device = Ierīču veidi
cat-members-referrer = Tīmekļa vietnes, no kurām dalībnieki nonāca pie mums
cat-members-locale = Valodas iestatījumi
cat-members-password = Paroles
cat-members-api-key = API atslēgas
cat-members-payment = Maksājumu dati
cat-members-conversation = Sarunas un tērzēšanas saturs

loc-city = pilsēta
loc-region = reģions
loc-country = valsts

## Ko tas var nozīmēt

heading-consequences = Ko tas var nozīmēt Jums
heading-consequences-org = Ko tas var nozīmēt Jūsu komandai
consequences-person-targeted = Tie, kuru rīcībā ir šie dati, var tos izmantot pikšķerēšanai – e-pastiem, īsziņām vai zvaniem, kuros uzdodas par { $controller }, kādu citu Jūsu izmantotu pakalpojumu vai kolēģi. Tā kā sūtītāji var zināt, piemēram, Jūsu vārdu, pilsētu un organizāciju, šādi ziņojumi var izskatīties ticami. Parasti to mērķis ir panākt, lai Jūs pieteiktos viltotā lapā, atklātu paroli vai kodu vai veiktu maksājumu.
consequences-person-general = Atsevišķi šie dati uzbrucējam ir maz noderīgi. Tomēr krāpnieki bieži izmanto ziņas par datu noplūdi, lai sūtītu pikšķerēšanas ziņojumus, kas uz to atsaucas, tāpēc esiet piesardzīgi ar negaidītiem ziņojumiem par šo incidentu.
consequences-org-targeted = Organizācijas { $organisation } dalībnieki var saņemt pikšķerēšanas ziņojumus, kuros uzdodas par { $controller }, citu pakalpojumu vai kādu no komandas. Tā kā sūtītāji var zināt viņu vārdus, pilsētas un organizācijas { $organisation } nosaukumu, šādi ziņojumi var izskatīties ticami. Parasti to mērķis ir panākt, lai adresāts pieteiktos viltotā lapā, atklātu paroli vai kodu vai veiktu maksājumu.
consequences-org-general = Atsevišķi šie dati uzbrucējam ir maz noderīgi. Tomēr krāpnieki bieži izmanto ziņas par datu noplūdi, lai sūtītu pikšķerēšanas ziņojumus, kas uz to atsaucas, tāpēc Jūsu komandai jābūt piesardzīgai ar negaidītiem ziņojumiem par šo incidentu.
consequences-public-targeted = Ja Jums bija konts, Jūs varat saņemt pikšķerēšanas ziņojumus – e-pastus, īsziņas vai zvanus, kuros uzdodas par { $controller }, kādu citu Jūsu izmantotu pakalpojumu vai kolēģi. Tā kā sūtītāji var zināt, piemēram, Jūsu vārdu, pilsētu un organizāciju, šādi ziņojumi var izskatīties ticami. Parasti to mērķis ir panākt, lai Jūs pieteiktos viltotā lapā, atklātu paroli vai kodu vai veiktu maksājumu.
consequences-public-general = Atsevišķi šie dati uzbrucējam ir maz noderīgi. Tomēr krāpnieki bieži izmanto ziņas par datu noplūdi, lai sūtītu pikšķerēšanas ziņojumus, kas uz to atsaucas, tāpēc esiet piesardzīgi ar negaidītiem ziņojumiem par šo incidentu.

## Ko mēs esam darījuši

heading-measures = Ko mēs esam darījuši
measures-empty = Mēs joprojām izmeklējam incidentu. Ja uzzināsim ko tādu, kas maina šo paziņojumu, mēs Jūs informēsim.

## Kas jādara

heading-advice-person = Kas Jums būtu jādara
heading-advice-org = Ko pateikt savai komandai
advice-password = Nekavējoties nomainiet savu paroli pakalpojumā { $controller }. Ja to pašu paroli izmantojat arī citur, nomainiet to arī tur.
advice-api-key = Atsauciet savas API atslēgas pakalpojumā { $controller } un izveidojiet jaunas. Pēc tam nomainiet tās visur, kur tās tiek izmantotas.
advice-payment = Pārbaudiet savus bankas konta un karšu izrakstus un nekavējoties ziņojiet bankai par jebkuru maksājumu, ko neatpazīstat.
advice-conversation = Jūsu sarunas ar mums tika skartas. Pārdomājiet, ko tajās kopīgojāt; ja tur bija paroles, atslēgas vai citi noslēpumi, nomainiet tos.
advice-check-sender = Pārbaudiet katra ar šo incidentu saistītā ziņojuma sūtītāju. Mēs rakstām tikai no adreses { $sender }, un sūtītāja adresei jābeidzas ar kādu no mūsu oficiālajiem domēniem, kas norādīti zemāk. Uzmanieties no līdzīgiem domēniem ar pievienotiem vai samainītiem burtiem.
advice-no-secrets = Mēs nekad neprasīsim Jūsu paroli, API atslēgas vai vienreizējo kodu – ne e-pastā, ne pa tālruni, ne tērzēšanā. Tas, kurš tos prasa, nav mēs.
advice-mfa = Ieslēdziet daudzfaktoru autentifikāciju (piemēram, ar autentifikācijas lietotni) savam kontam pakalpojumā { $controller } un savam e-pasta kontam.
advice-urgency = Esiet piesardzīgi ar ziņojumiem, kas mudina rīkoties nekavējoties, draud slēgt Jūsu kontu vai pieprasa maksājumu. Nesteidzieties un pārbaudiet.
advice-no-links = Šajā ziņojumā nav saišu un pielikumu. Ja kāds ziņojums par šo incidentu aicina pieteikties, izmantojot saiti, neizmantojiet to: ierakstiet mūsu adresi pārlūkprogrammā paši.
advice-no-links-public = Mūsu ziņojumos par šo incidentu nav saišu un pielikumu. Ja kāds ziņojums par šo incidentu aicina pieteikties, izmantojot saiti, neizmantojiet to: ierakstiet mūsu adresi pārlūkprogrammā paši.
advice-members-password = Palūdziet visiem dalībniekiem nomainīt paroli pakalpojumā { $controller }, kā arī visur citur, kur viņi izmanto to pašu paroli.
advice-members-api-key = Atsauciet visas organizācijas { $organisation } API atslēgas pakalpojumā { $controller }, izveidojiet jaunas un nomainiet tās visās sistēmās, kas tās izmanto.
advice-members-payment = Pārbaudiet organizācijas { $organisation } maksājumus un ziņojiet bankai par jebkuru maksājumu, ko neatpazīstat.
advice-members-conversation = Jūsu dalībnieku sarunas tika skartas. Pajautājiet viņiem, vai tajās tika kopīgotas paroles, atslēgas vai citi noslēpumi, un panāciet, lai tie tiktu nomainīti.
advice-members-phishing = Brīdiniet savu komandu, ka viņi var saņemt ticamus pikšķerēšanas ziņojumus, kuros minēti viņu vārdi, pilsētas vai organizācijas { $organisation } nosaukums.
advice-members-no-secrets = Atgādiniet, ka mēs nekad neprasīsim paroles, API atslēgas vai vienreizējos kodus e-pastā, pa tālruni vai tērzēšanā.
advice-members-mfa = Padariet daudzfaktoru autentifikāciju obligātu visiem organizācijas { $organisation } dalībniekiem pakalpojumā { $controller } un iesakiet to arī viņu e-pasta kontiem.
advice-members-report = Palūdziet viņiem ziņot par aizdomīgiem ziņojumiem Jums vai Jūsu drošības komandai, nevis atbildēt uz tiem vai uz kaut ko noklikšķināt.

## Kā mūs atpazīt un kam jautāt

heading-official-domains = Mūsu oficiālie domēni
official-domains-intro = Īstie pakalpojuma { $controller } ziņojumi un tīmekļa vietnes izmanto tikai šos domēnus. Domēns, kas tiem tikai līdzinās, nav mūsu:
heading-contact = Jautājumi un saziņa
sender-statement = Šis ziņojums tiek sūtīts tikai no adreses { $sender }. Par šo incidentu mēs Jums nerakstīsim no citas adreses.
sender-statement-public = Mūsu ziņojumi par šo incidentu tiek sūtīti tikai no adreses { $sender }.
dpo-contact = Ja Jums ir jautājumi, sazinieties ar mūsu datu aizsardzības speciālistu: { $dpo }
complaint = Jums ir arī tiesības iesniegt sūdzību datu aizsardzības uzraudzības iestādē, jo īpaši valstī, kurā dzīvojat vai strādājat.
signoff =
    Ar cieņu
    { $controller }
