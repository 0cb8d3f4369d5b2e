"""Writes articles.json, the demo content of khabar-server.

Every article here is original text written for Khabar: the places, people
and institutions are invented. Run `python3 server/seed/make_seed.py` after
editing; the server embeds the JSON it writes.
"""
import json
import pathlib



def p(text):
    return {"type": "paragraph", "text": text}


def art(id, lang, section, title, summary, published, body, source, author, updated=None, **extra):
    # Root-relative: khabar-server makes them absolute, so that the demo's
    # cards lead to the demo's own pages.
    page = {"ar": "/", "en": "/en/"}.get(lang, f"/gallery/?lang={lang}&")
    page += "article=" if page.endswith("&") else "?article="
    a = {
        "id": id,
        "url": f"{page}{id}",
        "title": title,
        "summary": summary,
        **({"body": body} if body is not None else {}),
        "published_at": published,
        "source": source,
        "section": section,
        "author": author,
        "lang": lang,
        "comments_open": True,
    }
    if updated:
        a["updated_at"] = updated
    a.update(extra)
    return a


AR_SOURCE = "وكالة خبر للأنباء"
ARTICLES = [
    art(
        "2026-11-28-transit-plan", "ar", "politics",
        "مجلس البلدية يقرّ خطة لتوسيع شبكة الحافلات حتى الأحياء الشرقية",
        "صوّت أعضاء المجلس بأغلبية واضحة على خطة تمتد خمس سنوات تضيف أربعة خطوط جديدة وتمدّ ساعات الخدمة إلى منتصف الليل.",
        "2026-11-28T10:31:08+03:00",
        [
            p("أقرّ مجلس البلدية مساء السبت خطة لتوسيع شبكة الحافلات العامة، بعد جلسة نقاش استمرت أكثر من أربع ساعات، وصوّت لصالحها تسعة عشر عضواً من أصل خمسة وعشرين."),
            p("وتنص الخطة على إضافة أربعة خطوط جديدة تربط الأحياء الشرقية بوسط المدينة والمنطقة الصناعية، إلى جانب تمديد ساعات الخدمة على الخطوط الرئيسية حتى منتصف الليل بدلاً من العاشرة مساءً."),
            {"type": "heading", "text": "التمويل والجدول الزمني"},
            p("وقالت رئيسة لجنة النقل في المجلس، سلمى الحدّاد، إن تمويل المرحلة الأولى سيأتي من ميزانية البلدية للعام المقبل، على أن تُطرح المراحل اللاحقة لشراكات مع شركات تشغيل خاصة."),
            {"type": "quote", "text": "السكان في الأطراف ينتظرون أكثر من ساعة أحياناً. هذه الخطة تختصر ذلك إلى ربع ساعة في أوقات الذروة.", "cite": "سلمى الحدّاد"},
            p("في المقابل، اعترض ستة أعضاء على الخطة معتبرين أن كلفتها التشغيلية لم تُدرس بما يكفي، وطالبوا بتقرير مستقل قبل توقيع أي عقد جديد."),
        ],
        AR_SOURCE, "نادر العلي", updated="2026-11-28T14:05:00+03:00",
        image={"url": "/images/bus.svg", "alt": "رسم لحافلة حمراء تسير في شارع المدينة", "caption": "ستضيف الخطة أربعة خطوط جديدة. (رسم توضيحي)"},
    ),
    art(
        "2026-11-27-farmers-market", "ar", "economy",
        "سوق أسبوعية للمزارعين في الساحة القديمة تجمع أكثر من مئتي منتج محلي",
        "تفتح السوق أبوابها كل جمعة، وتتيح للمزارعين البيع مباشرة دون وسطاء، في تجربة تقول البلدية إنها ستقيّمها بعد ثلاثة أشهر.",
        "2026-11-27T08:15:00+03:00",
        [
            p("افتتحت في الساحة القديمة صباح الجمعة سوق أسبوعية للمزارعين، شارك فيها أكثر من مئتي منتج من القرى المحيطة، عرضوا الخضار والفواكه والألبان والعسل والخبز البلدي."),
            p("ويقول منظمو السوق إن الفكرة تقوم على البيع المباشر من المزارع إلى المستهلك، ما يرفع دخل المنتج ويخفض السعر على المشتري في آن واحد."),
            p("وقال أبو سامر، وهو مزارع يبيع الزيتون وزيته منذ ثلاثين عاماً، إنه باع في الساعات الأولى ما يعادل مبيعات أسبوع كامل عبر التجار."),
            {"type": "list", "ordered": False, "items": [
                "تفتح السوق من السابعة صباحاً حتى الثانية ظهراً.",
                "تُخصص مساحة ثابتة للتعاونيات النسائية.",
                "يُمنع استخدام الأكياس البلاستيكية الرقيقة.",
            ]},
            p("وتعتزم البلدية تقييم التجربة بعد ثلاثة أشهر، لتقرر ما إذا كانت ستنقل السوق إلى موقع أوسع أو تضيف يوماً ثانياً."),
        ],
        AR_SOURCE, "ريم منصور",
        image={"url": "/images/market.svg", "alt": "رسم لبسطات خضار وفواكه تحت مظلات خضراء", "caption": "بسطات المزارعين في الساحة القديمة. (رسم توضيحي)"},
    ),
    art(
        "2026-11-26-coding-girls", "ar", "technology",
        "جامعة محلية تطلق برنامج Code Bridge لتعليم البرمجة لطالبات القرى",
        "البرنامج المجاني يستقبل ثلاثمئة طالبة في دفعته الأولى، ويعتمد على حواسيب محمولة تُعار للطالبات طوال مدة الدراسة.",
        "2026-11-26T12:00:00+03:00",
        [
            p("أطلقت جامعة الساحل برنامجاً مجانياً لتعليم البرمجة باسم Code Bridge، يستهدف طالبات المرحلة الثانوية في القرى البعيدة عن مراكز المدن."),
            p("وتستمر الدورة ستة أشهر، تبدأ بأساسيات التفكير الخوارزمي وتنتهي بمشروع تبنيه كل طالبة لحل مشكلة في قريتها، مثل تطبيق لمواعيد العيادة أو لجدول الحافلات المدرسية."),
            p("وقالت منسقة البرنامج، المهندسة Laura Bennett، التي انتقلت إلى المدينة قبل عامين، إن أكبر عائق لم يكن الاهتمام بل الأجهزة، ولذلك قررت الجامعة إعارة حاسوب محمول لكل طالبة طوال مدة الدراسة."),
            p("وتُعقد الحصص مرتين أسبوعياً في مدارس القرى نفسها، عبر فريق من طلاب الجامعة المتطوعين، على أن تلتقي الطالبات مرة كل شهر في حرم الجامعة."),
            {"type": "heading", "text": "من Scratch إلى Python"},
            p("يبدأ المنهج بلغة Scratch المرئية في الشهر الأول، ثم ينتقل إلى Python في الشهر الثاني، وتتعلم الطالبات في الشهر الرابع بناء صفحات ويب بسيطة باستخدام HTML وCSS، قبل أن يخصَّص الشهران الأخيران للمشروع."),
            p("وتقول الطالبة نور، وهي في السادسة عشرة من قرية تبعد ساعة عن المدينة، إنها كتبت أول برنامج لها على حاسوب العائلة القديم، وإن الحاسوب الجديد «أسرع من أن أصدّق». وتريد أن تبني تطبيقاً يذكّر جدّتها بمواعيد الدواء."),
            {"type": "quote", "text": "We did not teach them to code. We gave them time and a machine, and they did the rest.", "cite": "Laura Bennett"},
            p("وتعمل الجامعة مع شركة Northwind Labs على توفير تدريب صيفي لأفضل عشرين مشروعاً، فيما تبحث وزارة التربية تعميم التجربة على ثلاث محافظات أخرى في العام الدراسي المقبل."),
            {"type": "list", "ordered": True, "items": [
                "الشهر الأول: التفكير الخوارزمي مع Scratch.",
                "الشهران الثاني والثالث: أساسيات Python.",
                "الشهر الرابع: صفحات الويب بـ HTML وCSS.",
                "الشهران الخامس والسادس: مشروع لحل مشكلة في القرية.",
            ]},
        ],
        AR_SOURCE, "كريم يوسف",
    ),
    art(
        "2026-11-25-book-fair", "ar", "culture",
        "معرض الكتاب يفتتح دورته الجديدة تحت شعار «الترجمة جسر»",
        "تحتفي الدورة بالمترجمين، وتخصص جناحاً لكتب مترجمة من لغات آسيوية وأفريقية تصل إلى القارئ العربي لأول مرة.",
        "2026-11-25T18:45:00+03:00",
        None,
        AR_SOURCE, "هالة سعيد",
        body_html=(
            "<p>افتتح معرض الكتاب السنوي دورته الجديدة مساء الأربعاء بمشاركة <strong>مئة وأربعين دار نشر</strong>، "
            "تحت شعار «الترجمة جسر»، في إشارة إلى تركيز هذا العام على الأدب المترجم.</p>"
            "<p>وخصص المنظمون جناحاً كاملاً لكتب نُقلت إلى العربية من اللغات الكورية والسواحيلية والفيتنامية، "
            "كثير منها يصل إلى القارئ العربي <em>للمرة الأولى</em>.</p>"
            "<h2>ندوات يومية</h2>"
            "<p>ويشهد البرنامج الثقافي ندوات يومية يتحدث فيها مترجمون عن عملهم، منهم المترجمة Amani Okafor "
            "التي نقلت ثلاث روايات من السواحيلية، وستحكي عن الكلمات التي لا مقابل لها في العربية.</p>"
            "<blockquote><p>كل ترجمة بيت صغير نبنيه لكاتب لم يزر لغتنا من قبل.</p></blockquote>"
            "<ul><li>المواعيد: يومياً من العاشرة صباحاً حتى العاشرة ليلاً.</li>"
            "<li>صباح الأحد مخصص للزيارات المدرسية.</li>"
            "<li>برنامج الندوات كاملاً على <a href=\"/?article=2026-11-26-coding-girls\">صفحة المعرض</a>.</li></ul>"
            "<figure><img src=\"/images/books.svg\" alt=\"رسم لكتب ملونة مصفوفة على رف\">"
            "<figcaption>جناح الكتب المترجمة. (رسم توضيحي)</figcaption></figure>"
        ),
        image={"url": "/images/books.svg", "alt": "رسم لكتب ملونة مصفوفة على رف", "caption": "جناح الكتب المترجمة. (رسم توضيحي)"},

    ),
    art(
        "2026-11-24-youth-basketball", "ar", "sports",
        "منتخب الشباب لكرة السلة يبلغ نهائي البطولة الإقليمية للمرة الأولى",
        "فاز المنتخب على منافسه بفارق ثلاث نقاط في مباراة حُسمت في الثواني الأخيرة، ويلاقي حامل اللقب يوم الجمعة.",
        "2026-11-24T22:10:00+03:00",
        [
            p("بلغ منتخب الشباب لكرة السلة نهائي البطولة الإقليمية للمرة الأولى في تاريخه، بعد فوزه في نصف النهائي بنتيجة ثمانٍ وسبعين نقطة مقابل خمس وسبعين."),
            p("وحُسمت المباراة في الثواني الأخيرة بتسديدة ثلاثية من صانع الألعاب يزن خليل، الذي أنهى اللقاء برصيد أربع وعشرين نقطة وسبع تمريرات حاسمة."),
            p("وقال المدرب إن فريقه لعب أفضل دفاع له في البطولة، لكنه حذر من أن النهائي أمام حامل اللقب سيكون أصعب، لأن المنافس يملك أطول لاعبين في المسابقة."),
            p("وتقام المباراة النهائية مساء الجمعة في الصالة الرياضية الكبرى، وأعلن الاتحاد أن الدخول سيكون مجانياً لطلاب المدارس."),
        ],
        AR_SOURCE, "مازن حدّاد",
    ),
    art(
        "2026-11-23-wetland-birds", "ar", "environment",
        "رصد طيور مهاجرة نادرة في محمية الأراضي الرطبة بعد غياب دام سنوات",
        "سجّل فريق من المتطوعين سرباً من طيور البلشون الأبيض الكبير، ويرى الباحثون في ذلك ثمرة لمشروع إعادة المياه إلى البحيرة.",
        "2026-11-23T07:30:00+03:00",
        [
            p("رصد فريق من المتطوعين في محمية الأراضي الرطبة سرباً من طيور البلشون الأبيض الكبير، بعد غياب عن المنطقة استمر قرابة سبع سنوات."),
            p("وجاء الرصد خلال العدّ الشتوي الذي تنظمه جمعية حماية الطبيعة كل عام، ويشارك فيه هواة ومختصون يوزَّعون على نقاط مراقبة حول البحيرة منذ الفجر."),
            p("ويرجّح الباحثون أن عودة الطيور مرتبطة بمشروع إعادة المياه إلى البحيرة، الذي أُغلقت بموجبه آبار زراعية مخالفة كانت تستنزف المياه الجوفية."),
            p("وتدعو الجمعية الزوار إلى التزام المسارات المحددة وعدم الاقتراب من أماكن تجمع الطيور، وإلى تسجيل ما يشاهدونه في استمارة الرصد المتاحة عند مدخل المحمية."),
        ],
        AR_SOURCE, "ليلى ناصر",
        image={"url": "/images/birds.svg", "alt": "رسم لطائر بلشون أبيض يقف في مياه ضحلة", "caption": "البلشون الأبيض الكبير. (رسم توضيحي)"},
    ),
    art(
        "2026-11-22-flu-vaccines", "ar", "health",
        "حملة التطعيم الموسمية ضد الإنفلونزا تبدأ في المراكز الصحية الأسبوع المقبل",
        "اللقاح مجاني لكبار السن والحوامل والمصابين بأمراض مزمنة، ويمكن حجز موعد عبر الهاتف أو الحضور مباشرة.",
        "2026-11-22T09:00:00+03:00",
        [
            p("أعلنت مديرية الصحة أن حملة التطعيم الموسمية ضد الإنفلونزا ستبدأ يوم الأحد المقبل في جميع المراكز الصحية، وتستمر حتى نهاية الشهر التالي."),
            p("ويُقدَّم اللقاح مجاناً لمن تجاوزوا الخامسة والستين، وللحوامل، وللمصابين بأمراض مزمنة مثل السكري والربو وأمراض القلب، فيما يُتاح لبقية السكان برسوم رمزية."),
            p("وقالت طبيبة الأسرة دعاء فارس إن أفضل وقت للتطعيم هو قبل ذروة الموسم، لأن الجسم يحتاج إلى نحو أسبوعين لتكوين المناعة بعد أخذ الجرعة."),
            p("ويمكن حجز موعد عبر الرقم المجاني للمديرية، أو الحضور مباشرة إلى أقرب مركز صحي بين الثامنة صباحاً والثانية ظهراً."),
        ],
        AR_SOURCE, "سامي عبد الله",
    ),
    art(
        "2026-11-27-tehran-library", "fa", "culture",
        "کتابخانه‌ی محله پس از بازسازی دوباره درهایش را گشود",
        "کتابخانه‌ی قدیمی محله با سالن مطالعه‌ی تازه، بخش کودکان و ساعت‌های کاری طولانی‌تر دوباره به روی مردم باز شد.",
        "2026-11-27T16:20:00+03:30",
        [
            p("کتابخانه‌ی قدیمی محله پس از هشت ماه بازسازی، صبح پنجشنبه دوباره به روی مردم باز شد. سقف ساختمان تعمیر شده و سالن مطالعه اکنون جای شصت نفر را دارد."),
            p("بخش کودکان به طبقه‌ی همکف منتقل شده و هر هفته ساعت قصه‌گویی برگزار می‌کند. مدیر کتابخانه می‌گوید بیشترین درخواست اهالی همین بخش بوده است."),
            p("کتابخانه از این پس تا ساعت نه شب باز است و عضویت برای دانش‌آموزان رایگان خواهد بود."),
        ],
        "خبرگزاری خبر", "مریم احمدی",
    ),
    art(
        "2026-11-26-karachi-cricket", "ur", "sports",
        "اسکول کرکٹ لیگ کا فائنل ہفتے کو کھیلا جائے گا",
        "شہر کے سولہ اسکولوں کی ٹیموں میں سے دو ٹیمیں فائنل تک پہنچ گئی ہیں، اور میچ مفت دیکھا جا سکے گا۔",
        "2026-11-26T15:00:00+05:00",
        [
            p("شہر کی اسکول کرکٹ لیگ کا فائنل ہفتے کی سہ پہر مرکزی اسٹیڈیم میں کھیلا جائے گا، جس میں دو سرکاری اسکولوں کی ٹیمیں آمنے سامنے ہوں گی۔"),
            p("منتظمین کے مطابق اس سال لیگ میں سولہ اسکولوں نے حصہ لیا، جو پچھلے سال سے دگنی تعداد ہے، اور پہلی بار لڑکیوں کی دو ٹیمیں بھی شامل تھیں۔"),
            p("داخلہ مفت ہے، اور شائقین سے درخواست کی گئی ہے کہ وہ پانی کی بوتلیں ساتھ لائیں۔"),
        ],
        "خبر نیوز ایجنسی", "عائشہ خان",
    ),
    art(
        "2026-11-25-haifa-port-park", "he", "local",
        "פארק חדש נפתח לאורך הנמל הישן",
        "שביל הליכה ורכיבה של שלושה קילומטרים מחבר עכשיו את השכונות הדרומיות אל חוף הים.",
        "2026-11-25T11:10:00+02:00",
        [
            p("פארק חדש נפתח השבוע לאורך הנמל הישן, עם שביל הליכה ורכיבה באורך שלושה קילומטרים שמחבר את השכונות הדרומיות אל חוף הים."),
            p("לאורך השביל נשתלו מאות עצים, והוצבו ספסלים, ברזיות ומתקני כושר. העירייה מסרה כי הפארק יואר בלילה עד חצות."),
            p("תושבים שהשתתפו בפתיחה אמרו שהמקום היה סגור בפניהם במשך שנים, ועכשיו הם יכולים להגיע ברגל אל הים."),
        ],
        "סוכנות הידיעות ח'בר", "נועה לוי",
    ),
    art(
        "2026-11-24-lyon-bike-lanes", "fr", "local",
        "La ville ouvre douze kilomètres de pistes cyclables protégées",
        "Les nouvelles pistes relient la gare aux quartiers de l’est ; la mairie promet de mesurer leur usage dès le premier mois.",
        "2026-11-24T08:45:00+01:00",
        [
            p("La ville a ouvert lundi douze kilomètres de pistes cyclables séparées de la circulation par des bordures en béton, entre la gare centrale et les quartiers de l’est."),
            p("Des compteurs installés à quatre carrefours publieront chaque semaine le nombre de passages. La mairie dit vouloir juger le projet sur ces chiffres."),
            p("Les commerçants de l’avenue principale, d’abord inquiets pour le stationnement, ont obtenu trente places de livraison supplémentaires."),
        ],
        "Agence Khabar", "Claire Dubois",
    ),
    art(
        "2026-11-28-night-trains", "en", "transport",
        "Night trains return to the coastal line after a decade",
        "A sleeper service between the port and the northern border towns restarts in March, with fares set below the price of a hotel room.",
        "2026-11-28T09:20:00+00:00",
        [
            p("Night trains will run on the coastal line again from March, ten years after the last sleeper service was withdrawn for lack of passengers."),
            p("The regional rail company said the new service would leave the port at ten in the evening and reach the northern border towns shortly after dawn, stopping at six stations on the way."),
            p("Cabins for two will cost less than a night in a mid-range hotel, a deliberate choice, according to the company's planning director, Tomas Reyes, who said the train should compete with the hotel, not with the plane."),
            {"type": "quote", "text": "People did not stop wanting night trains. We stopped running ones they wanted to take.", "cite": "Tomas Reyes"},
            p("Tickets go on sale in January. The company will review the timetable after the first summer season."),
        ],
        "Khabar News Agency", "Hannah Clarke", updated="2026-11-28T11:02:00+00:00",
        image={"url": "/images/train.svg", "alt": "Drawing of a blue sleeper train with lit windows under a night sky", "caption": "The sleeper service leaves the port at ten in the evening. (Illustration)"},
    ),
    art(
        "2026-11-26-bakeries-coop", "en", "economy",
        "Small bakeries band together to buy flour in bulk",
        "Twenty-three family bakeries formed a purchasing cooperative to cut their costs, the first of its kind in the city.",
        "2026-11-26T14:40:00+00:00",
        [
            p("Twenty-three family-run bakeries have formed a cooperative to buy flour, yeast and fuel together, hoping to survive a year in which their costs rose faster than the price of bread."),
            p("Bulk orders give the cooperative the discount that only supermarket chains used to get, said Mariam Saleh, who runs a bakery her grandfather opened and chairs the new group."),
            p("Members keep their own recipes and prices. The cooperative only handles purchasing, a shared delivery van, and the maintenance contract for their ovens."),
            p("The chamber of commerce said two other trades, butchers and tailors, had already asked how the arrangement works."),
        ],
        "Khabar News Agency", "Daniel Moss",
    ),
    art(
        "2026-11-24-meteor-night", "en", "science",
        "Observatory opens its roof to the public for the winter meteor shower",
        "Visitors can watch the peak of the shower from the observatory's roof terrace, with astronomers on hand to point out what to look for.",
        "2026-11-24T17:05:00+00:00",
        [
            p("The hill observatory will open its roof terrace to the public on the night the winter meteor shower peaks, its first open night since the dome was restored."),
            p("Astronomers expect up to a hundred meteors an hour under a dark sky, though the glow of the city will keep the number visible from the hill lower."),
            p("Staff will run short talks every hour on what meteors are and why this shower returns every year, and will lend binoculars for the planets that are up in the same sky."),
            p("Entry is free but limited to four hundred people; visitors are asked to bring warm clothes and to use red torches on the path so that others keep their night vision."),
        ],
        "Khabar News Agency", "Priya Raman",
        image={"url": "/images/sky.svg", "alt": "Drawing of meteor streaks above a hill with an observatory dome", "caption": "Up to a hundred meteors an hour are expected at the peak. (Illustration)"},
    ),
]


def main():
    out = pathlib.Path(__file__).with_name("articles.json")
    out.write_text(json.dumps({"items": ARTICLES}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(ARTICLES)} articles to {out}")


if __name__ == "__main__":
    main()
